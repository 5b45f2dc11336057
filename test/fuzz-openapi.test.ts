/**
 * A fuzz of every operation of /openapi.json (issue 13 item 5): requests generated from each
 * operation's parameter and body schemas — valid-ish values that reach the use-cases, and broken
 * ones (wrong types, missing required, extra fields, huge numbers, unicode, bidi text) — sent
 * unauthenticated, as a customer and as an operator. No answer is a 5xx; every 4xx is the error
 * envelope with the status its code keeps; a rejected write changes nothing (a fingerprint of
 * orders, ledger entries, payments, vouchers and accounts before and after it).
 */
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorStatus } from '../src/domain/errors.ts';
import { addCard, TEST_CARD } from './support/customers.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';
import { type Schema, SchemaArbitraries } from './support/schema-arbitraries.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261206);
/** requests per operation and role: more where the role may call the operation */
const RUNS_ALLOWED = Number(process.env.FUZZ_RUNS ?? 64);
const RUNS_REFUSED = Math.ceil(RUNS_ALLOWED / 4);

let h: Harness;
let buyer: { id: string; key: string };
let doc: {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; parameters: Record<string, Parameter> };
};

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
  $ref?: string;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema: Schema }> };
  security?: Record<string, string[]>[];
}

beforeAll(async () => {
  // rate limits are tested elsewhere; here a 429 would only hide the paths behind it
  h = await harness({
    ORDERDESK_RATE_READS_PER_SECOND: '1000000',
    ORDERDESK_RATE_WRITES_PER_SECOND: '1000000',
    ORDERDESK_RATE_LOGINS_PER_MINUTE: '1000000',
    ORDERDESK_RATE_SIGNUPS_PER_HOUR: '1000000',
    ORDERDESK_RATE_ADMIN_PER_SECOND: '1000000',
    ORDERDESK_RATE_AUTH_FAILURES_PER_MINUTE: '1000000',
  });
  doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  // a customer with money, a card, KYC, an order, a voucher and ISP stock to act on
  buyer = await h.customer({ balanceUsd: 500, kyc: true });
  await addCard(h, buyer.key, TEST_CARD);
  await addStock(h.db, { country: 'us', city: 'newyork', asn: 64_500, count: 20 });
  for (const body of [
    { product: 'residential', gb: 1 },
    { product: 'isp', country: 'us', city: 'newyork', asn: 64_500, quantity: 5 },
    { product: 'residential', gb: 1, pay: 'later' },
  ]) {
    const r = await h.call('POST', '/v1/orders', { key: buyer.key, body });
    expect(r.statusCode, r.body).toBe(200);
    collectIds(r.json());
  }
  const v = await h.call('POST', `/admin/v1/accounts/${buyer.id}/vouchers`, {
    admin: true,
    body: { amount_usd: 5, reason: 'fuzz' },
  });
  collectIds(v.json());
  for (const route of ['/v1/account', '/v1/payment-methods', '/v1/isp/batches', '/v1/vouchers']) {
    collectIds((await h.call('GET', route, { key: buyer.key })).json());
  }
}, 60_000);
afterAll(async () => {
  await h?.close();
});

/** Ids seen in answers (acc_, ord_, pm_, vch_, bat_…); API keys and operator tokens are left out. */
const ids = new Set<string>();
function collectIds(v: unknown): void {
  if (ids.size >= 300) return;
  if (typeof v === 'string') {
    if (/^[a-z]{2,4}_[0-9A-Za-z]{16,}$/.test(v) && !/^(key|adm)_/.test(v)) ids.add(v);
  } else if (Array.isArray(v)) {
    for (const x of v) collectIds(x);
  } else if (v && typeof v === 'object') {
    for (const x of Object.values(v)) collectIds(x);
  }
}
const idArbitrary = () =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...(ids.size ? [...ids] : ['ord_none'])) },
    { weight: 1, arbitrary: fc.constantFrom('ord_01J00000000000000000000000', 'acc_', 'x', '..', '\u202e') },
  );

/** The id prefix of the resource a path segment names, so a path id is mostly one of its kind. */
const PREFIX: Record<string, string> = {
  orders: 'ord_',
  'payment-methods': 'pm_',
  'top-ups': 'pay_',
  statements: 'stm_',
  subusers: 'sub_',
  vouchers: 'vch_',
  batches: 'bat_',
  ips: 'ip_',
  servers: 'ins_',
  'reserved-instances': 'ri_',
  alerts: 'alr_',
  'webhook-endpoints': 'we_',
  'webhook-deliveries': 'wd_',
  accounts: 'acc_',
};

/** A path id: mostly a real one of the resource's kind (jobs have numbers), else any. */
function pathId(segment: string): fc.Arbitrary<string> {
  if (segment === 'jobs') return fc.oneof(fc.integer({ min: 1, max: 60 }).map(String), idArbitrary());
  const prefix = PREFIX[segment];
  const own = prefix ? [...ids].filter((id) => id.startsWith(prefix)) : [];
  if (own.length === 0) return idArbitrary();
  return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: idArbitrary() });
}

/** What a rejected write must not change: a digest of the rows that hold money and state. */
async function fingerprint(): Promise<string> {
  const rows = await h.db.query<{ f: string }>(
    `SELECT concat_ws('|',
       (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM orders t),
       (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM ledger_entries t),
       (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM payments t),
       (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM vouchers t),
       (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t.id), '')) FROM accounts t)) AS f`,
  );
  return rows[0]!.f;
}

type Role = 'anonymous' | 'customer' | 'operator';

interface Failure {
  request: string;
  status: number;
  problem: string;
  body: string;
}

function envelopeProblem(res: LightMyRequestResponse): string | null {
  if (res.statusCode >= 500) return '5xx';
  if (res.statusCode < 400) return null;
  let body: { error?: { code?: string; message?: unknown } };
  try {
    body = JSON.parse(res.body);
  } catch {
    return 'a 4xx that is not JSON';
  }
  if (!body || typeof body !== 'object' || Object.keys(body).join() !== 'error')
    return 'not the error envelope';
  const code = body.error?.code as keyof typeof errorStatus | undefined;
  if (typeof body.error?.message !== 'string') return 'no error message';
  if (!code || !(code in errorStatus)) return `unknown error code ${code}`;
  const transport = code === 'invalid_request' && [413, 415].includes(res.statusCode);
  if (errorStatus[code] !== res.statusCode && !transport) return `${code} answered with ${res.statusCode}`;
  return null;
}

function encode(v: string): string {
  return [...Buffer.from(v, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16)}`,
    )
    .join('');
}

interface Generated {
  path: Record<string, string>;
  query: [string, string][];
  body: unknown;
  idem: string | undefined;
}

function requestArbitrary(arbs: SchemaArbitraries, route: string, op: Operation): fc.Arbitrary<Generated> {
  const params = (op.parameters ?? []).map((p) =>
    p.$ref ? doc.components.parameters[p.$ref.split('/').pop()!]! : p,
  );
  const pathArb: Record<string, fc.Arbitrary<string>> = {};
  const queryArb: fc.Arbitrary<[string, string] | null>[] = [];
  for (const p of params) {
    if (p.in === 'path') {
      // the segment before {name}: /v1/orders/{id} → orders
      const segment = route.split(`/{${p.name}}`)[0]!.split('/').pop()!;
      pathArb[p.name] =
        p.name === 'id' || p.name.endsWith('_id')
          ? fc.oneof(
              { weight: 3, arbitrary: pathId(segment) },
              { weight: 1, arbitrary: arbs.param(p.schema ?? {}, p.name) },
            )
          : arbs.param(p.schema ?? {}, p.name);
    }
    if (p.in === 'query') {
      queryArb.push(
        fc.option(
          arbs.param(p.schema ?? {}, p.name).map((v): [string, string] => [p.name, v]),
          { nil: null, freq: 2 },
        ),
      );
    }
  }
  queryArb.push(fc.option(fc.constant<[string, string]>(['unknown_param', 'x']), { nil: null, freq: 8 }));
  const schema = op.requestBody?.content?.['application/json']?.schema;
  const body = schema
    ? op.operationId === 'advanceClock'
      ? arbs.broken(schema) // a valid advance of years would run every job of those years
      : fc.oneof({ weight: 2, arbitrary: arbs.valid(schema) }, { weight: 1, arbitrary: arbs.broken(schema) })
    : fc.constant(undefined);
  return fc.record({
    path: fc.record(pathArb),
    query: fc.tuple(...queryArb).map((q) => q.filter((x): x is [string, string] => x !== null)),
    body,
    idem: fc.option(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme-ascii' }), {
      nil: undefined,
      freq: 3,
    }),
  });
}

function allowed(op: Operation, role: Role): boolean {
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  if (role === 'anonymous') return schemes.length === 0;
  if (role === 'customer') return schemes.includes('apiKey');
  return schemes.includes('adminToken');
}

describe('fuzz of every operation of /openapi.json', () => {
  it('≥ 10,000 requests as anonymous, customer and operator: no 5xx, every 4xx the envelope, a rejected write changes nothing', async () => {
    const arbs = new SchemaArbitraries(doc.components.schemas, idArbitrary);
    const ops = Object.entries(doc.paths).flatMap(([route, methods]) =>
      Object.entries(methods)
        .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map(([m, op]) => ({ route, method: m.toUpperCase() as 'GET', op })),
    );
    const histogram = new Map<number, number>();
    const failures: Failure[] = [];
    let requests = 0;
    let rejectedWrites = 0;
    let before: string | null = null;
    let lastSeen: string | null = null;
    let changedByAccepted = 0;
    const succeeded = new Set<string>();
    // the operator goes last: a suspension or a price change must not hide the customer's paths
    for (const role of ['anonymous', 'customer', 'operator'] as Role[]) {
      for (const [i, { route, method, op }] of ops.entries()) {
        const samples = fc.sample(requestArbitrary(arbs, route, op), {
          numRuns: allowed(op, role) ? RUNS_ALLOWED : RUNS_REFUSED,
          seed: SEED + i,
        });
        for (const g of samples) {
          const url =
            route.replace(/\{(\w+)\}/g, (_, name: string) => encode(g.path[name] ?? '')) +
            (g.query.length ? `?${g.query.map(([k, v]) => `${k}=${encode(v)}`).join('&')}` : '');
          const headers: Record<string, string> = {};
          if (role === 'customer') headers.authorization = `Bearer ${buyer.key}`;
          if (role === 'operator') headers.authorization = `Bearer ${ADMIN_TOKEN}`;
          if (g.idem !== undefined) headers['idempotency-key'] = g.idem;
          if (g.body !== undefined) headers['content-type'] = 'application/json';
          const write = method !== 'GET';
          if (write && before === null) {
            before = await fingerprint();
            // the fingerprint sees writes: accepted ones change it
            if (before !== lastSeen) changedByAccepted += 1;
          }
          const res = await h.app.inject({
            method,
            url,
            headers,
            ...(g.body !== undefined ? { payload: JSON.stringify(g.body) } : {}),
          });
          requests += 1;
          histogram.set(res.statusCode, (histogram.get(res.statusCode) ?? 0) + 1);
          const request = `${role} ${method} ${url.slice(0, 300)} ${JSON.stringify(g.body)?.slice(0, 300) ?? ''}`;
          const problem = envelopeProblem(res);
          if (problem)
            failures.push({ request, status: res.statusCode, problem, body: res.body.slice(0, 500) });
          if (res.statusCode < 300) {
            collectIds(res.json());
            succeeded.add(op.operationId);
          }
          if (!write) continue;
          if (res.statusCode >= 400 && res.statusCode < 500) {
            rejectedWrites += 1;
            const after = await fingerprint();
            if (after !== before) {
              failures.push({
                request,
                status: res.statusCode,
                problem: 'a rejected write changed state',
                body: res.body.slice(0, 500),
              });
            }
            before = after;
          } else {
            lastSeen = before;
            before = null;
          }
        }
      }
    }
    if (process.env.FUZZ_STATS) {
      console.log(
        'operations without a 2xx:',
        ops
          .map((o) => o.op.operationId)
          .filter((id) => !succeeded.has(id))
          .join(' '),
      );
    }
    console.log(
      'fuzz-openapi:',
      JSON.stringify({
        seed: SEED,
        operations: ops.length,
        operationsWithA2xx: succeeded.size,
        requests,
        rejectedWrites,
        acceptedWritesThatChangedState: changedByAccepted,
        statuses: Object.fromEntries([...histogram].sort((a, b) => a[0] - b[0])),
      }),
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(requests).toBeGreaterThanOrEqual(10_000);
    expect(changedByAccepted).toBeGreaterThan(0);
    // the fuzz got past the schemas: some requests succeeded, some failed in the use-cases
    expect(histogram.get(200) ?? 0).toBeGreaterThan(500);
    expect((histogram.get(404) ?? 0) + (histogram.get(409) ?? 0) + (histogram.get(422) ?? 0)).toBeGreaterThan(
      0,
    );
  });
});
