/**
 * "No input produces a 5xx" (SPEC §1): fast-check throws arbitrary JSON, raw bodies, content
 * types, amounts, unicode and query strings at the orders API and the operator routes. Every
 * answer is below 500, and every 4xx is the error envelope with the status its code keeps.
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAN_CODES } from '../src/domain/bandwidth-pricing.ts';
import { errorStatus } from '../src/domain/errors.ts';
import { FULFILMENT_STATUSES, ORDER_TYPES, PAYMENT_STATUSES } from '../src/domain/order-states.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';

let h: Harness;
/** places orders */
let buyer: { id: string; key: string };
/** takes operator balance adjustments (kept apart so the buyer's pools stay small) */
let adjusted: { id: string; key: string };
beforeAll(async () => {
  // rate limits are tested elsewhere; here a 429 would only hide the paths behind it
  h = await harness({
    ORDERDESK_RATE_READS_PER_SECOND: '1000000',
    ORDERDESK_RATE_WRITES_PER_SECOND: '1000000',
  });
  buyer = await h.customer({ balanceUsd: 50 });
  adjusted = await h.customer();
});
afterAll(async () => {
  await h?.close();
});

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

/** Transport-level refusals keep their HTTP status with the invalid_request code. */
const TRANSPORT_STATUSES = [413, 415];

/** Answers seen per status, to show the fuzz reaches the use-cases and not only the schemas. */
const seen = new Map<number, number>();

function checkAnswer(res: LightMyRequestResponse): void {
  seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
  const context = `${res.statusCode} ${res.body.slice(0, 500)}`;
  expect(res.statusCode, context).toBeLessThan(500);
  expect(res.headers['request-id'], context).toMatch(/^req_/);
  if (res.statusCode < 400) {
    expect(() => JSON.parse(res.body), context).not.toThrow();
    return;
  }
  expect(res.headers['content-type'], context).toMatch(/^application\/json/);
  const body = JSON.parse(res.body);
  expect(Object.keys(body), context).toEqual(['error']);
  const e = body.error;
  expect(typeof e.message, context).toBe('string');
  // a replayed error is the stored body, which names the request that first made it
  if (res.headers['idempotent-replayed'] === 'true') expect(e.request_id, context).toMatch(/^req_/);
  else expect(e.request_id, context).toBe(res.headers['request-id']);
  if (e.param !== undefined) expect(typeof e.param, context).toBe('string');
  expect(Object.keys(errorStatus), context).toContain(e.code);
  const status = errorStatus[e.code as keyof typeof errorStatus];
  const transport = e.code === 'invalid_request' && TRANSPORT_STATUSES.includes(res.statusCode);
  expect(res.statusCode === status || transport, context).toBe(true);
}

/** Percent-encodes a string's UTF-8 bytes (encodeURIComponent refuses lone surrogates). */
function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

// ---- arbitraries ----------------------------------------------------------------------------

/** Strings of every kind: ascii, graphemes, and raw UTF-16 units (NUL, lone surrogates). */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'Ω≈ç√', '😀', 'a'.repeat(300), 'null', 'undefined'),
);

/** Numbers JSON can carry, and some it should not. */
const anyNumber = fc.oneof(
  fc.integer(),
  fc.integer({ min: -5, max: 100_005 }),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    1,
    50,
    100,
    100_000,
    100_001,
    0.001,
    1.5,
    2 ** 53,
    -(2 ** 53),
    1e300,
    Number.MAX_VALUE,
  ),
);

/** Amount texts for amount_usd. */
const amountText = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '-0',
    '0',
    '0.00',
    '-0.00',
    '0.001',
    '1.005',
    '9999999999999.99',
    '-9999999999999.99',
    '99999999999999',
    '12345678901234567890',
    '1,000.00',
    ' 5 ',
    '5\n',
    '$5',
    '١٢',
    '１２',
    '.5',
    '5.',
    '+5',
    '0x10',
    'NaN',
    'Infinity',
  ),
  fc.stringMatching(/^-?\d{1,16}(\.\d{0,4})?$/),
  anyString,
);

/** A JSON value of any shape: fast-check's JSON values, and anything JSON.stringify makes of any value. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc
    .anything({ maxDepth: 3, withNullPrototype: true, withBoxedValues: true, withSparseArray: true })
    .map((v) => {
      const text = JSON.stringify(v);
      return text === undefined ? null : JSON.parse(text);
    }),
);

/** Bodies close to an order, so the fuzz also reaches the use-case and not only the schema. */
const orderLike = fc.record(
  {
    product: fc.oneof(fc.constantFrom('residential', 'mobile', 'isp', 'server', 'RESIDENTIAL'), anyString),
    gb: fc.oneof(anyNumber, anyString, anyJson),
    plan: fc.oneof(fc.constantFrom(...PLAN_CODES), anyString, anyJson),
    pay: fc.oneof(fc.constantFrom('now', 'later'), anyJson),
    extra: anyJson,
  },
  { requiredKeys: [] },
);

/** Well-formed orders with quantities around every edge: they reach pricing, KYC and payment. */
const orderShaped = fc.record(
  {
    product: fc.constantFrom('residential', 'mobile'),
    gb: fc.oneof(
      fc.integer({ min: -5, max: 100_005 }),
      fc.constantFrom(0, 1, 99, 100, 500, 1_000, 5_000, 100_000),
    ),
    plan: fc.constantFrom(...PLAN_CODES),
    pay: fc.constant('now'),
  },
  { requiredKeys: ['product', 'gb'] },
);

/** Raw JSON texts with numbers JavaScript cannot hold exactly, or not JSON at all. */
const numberText = fc.constantFrom(
  '1e400',
  '-1e400',
  '1e-400',
  '-0',
  '0.001',
  '1.0',
  '1e2',
  '50.0000000000000001',
  '123456789012345678901234567890',
  '9007199254740993',
  'NaN',
  'Infinity',
  '0x10',
  '01',
  '.5',
  '--1',
  '"50"',
  'null',
  'true',
  '[]',
  '{}',
);
const orderText = fc
  .tuple(fc.constantFrom('residential', 'mobile', 'x'), numberText)
  .map(([product, n]) => `{"product":"${product}","gb":${n}}`);

const rawBody = fc.oneof(
  orderText,
  anyString,
  fc.json(),
  fc.constantFrom('', '{', '}', '[', '{"product":', '{"a":1}{"b":2}', '\ufeff{}', 'null', '"str"', '0'),
  anyJson.map((v) => JSON.stringify(v) ?? ''),
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/json;',
  'application/vnd.api+json',
  'text/plain',
  'text/csv',
  'text/html',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/octet-stream',
  '*/*',
  'garbage',
);

const idempotencyKey = fc.option(
  fc.oneof(
    fc.constantFrom('k1', 'k2', 'k3'),
    fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 300 }),
  ),
  { nil: undefined },
);

// ---- requests -------------------------------------------------------------------------------

function send(
  method: 'GET' | 'POST',
  url: string,
  auth: string,
  opts: { json?: unknown; raw?: string; contentType?: string; idem?: string | undefined } = {},
) {
  const headers: Record<string, string> = { authorization: `Bearer ${auth}` };
  if (opts.idem !== undefined) headers['idempotency-key'] = opts.idem;
  if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  if (opts.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    return h.app.inject({ method, url, headers, payload: JSON.stringify(opts.json) });
  }
  return h.app.inject({ method, url, headers, ...(opts.raw !== undefined ? { payload: opts.raw } : {}) });
}

/** Real account ids (built inside a test, after beforeAll), ids of no account, and junk. */
const accountIdIn = (real: string[]) =>
  fc.oneof(
    fc.constantFrom(...real),
    fc.constantFrom('acc_01J00000000000000000000000', 'acc_', 'x', '%00', '..', '%2F'),
    anyString.filter((s) => s.length > 0).map(pct),
  );

describe('no input produces a 5xx (fast-check)', () => {
  it('POST /v1/orders with arbitrary JSON bodies and keys', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(orderShaped, orderLike, anyJson), idempotencyKey, async (body, idem) => {
        checkAnswer(await send('POST', '/v1/orders', buyer.key, { json: body, idem }));
      }),
      { numRuns: 250, seed: SEED },
    );
  });

  it('POST /v1/orders/quote with arbitrary JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(orderShaped, orderLike, anyJson), async (body) => {
        checkAnswer(await send('POST', '/v1/orders/quote', buyer.key, { json: body }));
      }),
      { numRuns: 200, seed: SEED },
    );
  });

  it('POST /v1/orders and /quote with raw bodies and any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/orders', '/v1/orders/quote'),
        rawBody,
        fc.option(contentType, { nil: undefined }),
        async (url, raw, type) => {
          checkAnswer(await send('POST', url, buyer.key, { raw, contentType: type }));
        },
      ),
      { numRuns: 200, seed: SEED },
    );
  });

  it('GET /v1/orders with random query strings', async () => {
    const key = fc.oneof(
      fc.constantFrom(
        'limit',
        'starting_after',
        'id',
        'created_from',
        'created_to',
        'product',
        'type',
        'status',
        'payment_status',
        '__proto__',
        'constructor',
        'limit[]',
        'unknown',
      ),
      anyString.map(pct),
    );
    const value = fc.oneof(
      fc.integer({ min: -5, max: 200 }).map(String),
      fc.constantFrom(...ORDER_TYPES, ...FULFILMENT_STATUSES, ...PAYMENT_STATUSES, 'residential', 'mobile'),
      fc
        .date({ min: new Date(-62198755200000), max: new Date(253402300799999), noInvalidDate: true })
        .map((d) => d.toISOString()),
      fc.constantFrom(
        '2026-05-28',
        '0000-01-01',
        '9999-12-31',
        '2026-02-29',
        '2024-02-29T24:00:00Z',
        '2026-05-28T10:00:00+14:00',
        '1e3',
        '%00',
        '%',
        '%zz',
        '%E0%A4%A',
        '%C0%80',
        '%FF',
        '+',
        '',
      ),
      anyString.map(pct),
    );
    const query = fc
      .array(fc.tuple(key, value), { maxLength: 6 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'));
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('', '&', '?', '#x'), async (q, tail) => {
        checkAnswer(await send('GET', `/v1/orders?${q}${tail}`, buyer.key));
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it('GET /v1/orders/{id} with arbitrary ids', async () => {
    await fc.assert(
      fc.asyncProperty(
        anyString.filter((s) => s.length > 0),
        async (id) => {
          checkAnswer(await send('GET', `/v1/orders/${pct(id)}`, buyer.key));
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });

  it('POST /admin/v1/accounts with arbitrary bodies', async () => {
    const accountLike = fc.record(
      {
        email: fc.oneof(fc.emailAddress(), anyString, anyJson),
        name: fc.oneof(anyString, anyJson),
        password: fc.oneof(fc.constantFrom('correct horse battery', 'short'), anyString, anyJson),
        balance_usd: anyJson,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(accountLike, anyJson), idempotencyKey, async (body, idem) => {
        checkAnswer(await send('POST', '/admin/v1/accounts', ADMIN_TOKEN, { json: body, idem }));
      }),
      { numRuns: 120, seed: SEED },
    );
  });

  it('POST /admin/v1/accounts/{id}/balance-adjustments with arbitrary amounts and ids', async () => {
    const body = fc.oneof(
      fc.record(
        {
          amount_usd: fc.oneof(amountText, anyNumber, anyJson),
          reason: fc.oneof(anyString, anyJson),
        },
        { requiredKeys: [] },
      ),
      anyJson,
    );
    await fc.assert(
      fc.asyncProperty(accountIdIn([adjusted.id]), body, idempotencyKey, async (id, b, idem) => {
        checkAnswer(
          await send('POST', `/admin/v1/accounts/${id}/balance-adjustments`, ADMIN_TOKEN, { json: b, idem }),
        );
      }),
      { numRuns: 200, seed: SEED },
    );
    // raw amount texts JavaScript numbers cannot hold
    await fc.assert(
      fc.asyncProperty(numberText, async (n) => {
        checkAnswer(
          await send('POST', `/admin/v1/accounts/${adjusted.id}/balance-adjustments`, ADMIN_TOKEN, {
            raw: `{"amount_usd":${n},"reason":"fuzz"}`,
            contentType: 'application/json',
          }),
        );
      }),
      { numRuns: 50, seed: SEED },
    );
  });

  it('POST /admin/v1/accounts/{id}/api-keys with arbitrary bodies and ids', async () => {
    const body = fc.option(
      fc.oneof(fc.record({ name: fc.oneof(anyString, anyJson) }, { requiredKeys: [] }), anyJson),
      { nil: undefined },
    );
    await fc.assert(
      fc.asyncProperty(accountIdIn([adjusted.id, buyer.id]), body, async (id, b) => {
        checkAnswer(
          await send(
            'POST',
            `/admin/v1/accounts/${id}/api-keys`,
            ADMIN_TOKEN,
            b === undefined ? {} : { json: b },
          ),
        );
      }),
      { numRuns: 120, seed: SEED },
    );
  });

  it('the admin routes with raw bodies and any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(
          '/admin/v1/accounts',
          () => `/admin/v1/accounts/${adjusted.id}/balance-adjustments`,
          () => `/admin/v1/accounts/${adjusted.id}/api-keys`,
        ),
        rawBody,
        fc.option(contentType, { nil: undefined }),
        async (url, raw, type) => {
          const path = typeof url === 'string' ? url : url();
          checkAnswer(await send('POST', path, ADMIN_TOKEN, { raw, contentType: type }));
        },
      ),
      { numRuns: 100, seed: SEED },
    );
  });

  it('after all of it, every balance still equals its ledger', async () => {
    expect(await h.ledgerMismatches()).toEqual([]);
    // the fuzz got past the schemas: some requests succeeded, some failed in the use-cases
    expect(seen.get(200) ?? 0).toBeGreaterThan(0);
    expect(seen.get(400) ?? 0).toBeGreaterThan(0);
    expect((seen.get(404) ?? 0) + (seen.get(409) ?? 0) + (seen.get(422) ?? 0)).toBeGreaterThan(0);
    if (process.env.FUZZ_STATS) console.log(`seed ${SEED}`, Object.fromEntries([...seen].sort()));
  });
});
