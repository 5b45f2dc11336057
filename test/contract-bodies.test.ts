/**
 * Request bodies (SPEC §1): a body that is a JSON document is read as JSON whatever its declared
 * content type (the seed's `curl -d '{…}'` lines work as written); optional bodies may be left
 * out, even under a JSON content type; a route that takes no body refuses one; and no body, however
 * deep, is a 5xx.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../src/http/schemas.ts';
import { addCard } from './support/customers.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

/** The seed's order line: `curl -d '{"product":"residential","gb":50}'` (225.00). */
const SEED_ORDER = '{"product":"residential","gb":50}';
const FORM = 'application/x-www-form-urlencoded';

function send(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  auth: string,
  opts: { type?: string; payload?: string; idem?: string } = {},
) {
  return h.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${auth}`,
      ...(opts.type ? { 'content-type': opts.type } : {}),
      ...(opts.idem ? { 'idempotency-key': opts.idem } : {}),
    },
    ...(opts.payload !== undefined ? { payload: opts.payload } : {}),
  });
}

function invalidRequest(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBe(400);
  expect(res.json().error.code).toBe('invalid_request');
  return res.json().error as { message: string };
}

async function storedKeys(scope: string): Promise<number> {
  const [row] = await h.db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM idempotency_keys WHERE account_scope = $1',
    [scope],
  );
  return row!.n;
}

describe('a JSON body is read as JSON whatever its declared content type', () => {
  it('the seed curl line as written (form content type, JSON body) places the 225.00 order', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const res = await send('POST', '/v1/orders', c.key, { type: FORM, payload: SEED_ORDER });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"total_usd":225.00');
    expect(res.json()).toMatchObject({ product: 'residential', status: 'completed', total_usd: 225 });
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['text/plain with a charset', 'text/plain; charset=utf-8'],
    ['no content type', undefined],
  ])('%s: the same body places the same 225.00 order', async (_name, type) => {
    const c = await h.customer({ balanceUsd: 300 });
    const res = await send('POST', '/v1/orders', c.key, { ...(type ? { type } : {}), payload: SEED_ORDER });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"total_usd":225.00');
  });

  it.each([
    ['a form', FORM, 'product=residential&gb=50'],
    ['text/plain', 'text/plain', 'residential 50'],
    ['no content type', undefined, 'product=residential&gb=50'],
  ])('%s body that is not JSON is 400 invalid_request', async (_name, type, payload) => {
    const c = await h.customer({ balanceUsd: 300 });
    const res = await send('POST', '/v1/orders', c.key, { ...(type ? { type } : {}), payload });
    expect(invalidRequest(res).message).toMatch(/JSON/);
  });

  it('a CSV body still reaches the inventory import as CSV', async () => {
    const csv = 'ip,port,country,city,asn\n203.0.113.77,8000,us,newyork,7922\n';
    const res = await send('POST', '/admin/v1/inventory/import', ADMIN_TOKEN, {
      type: 'text/csv',
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ imported: 1 });
  });
});

describe('no body is nested deeper than the parser allows', () => {
  const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

  it.each([
    ['10,000 nested arrays', deepArray(10_000)],
    ['10,000 nested objects', deepObject(10_000)],
  ])(
    '%s with an Idempotency-Key is 400 invalid_request on a customer POST, and no key is kept',
    async (_n, body) => {
      const c = await h.customer();
      const res = await send('POST', '/v1/orders', c.key, {
        type: 'application/json',
        payload: body,
        idem: 'deep-1',
      });
      expect(invalidRequest(res).message).toContain(`deeper than ${MAX_JSON_DEPTH} levels`);
      expect(await storedKeys(c.id)).toBe(0);
    },
  );

  it('the same on an operator POST, on a DELETE, and under a form content type', async () => {
    const body = deepArray(20_000);
    const admin = await send('POST', '/admin/v1/accounts', ADMIN_TOKEN, {
      type: 'application/json',
      payload: body,
      idem: 'deep-admin',
    });
    invalidRequest(admin);
    const c = await h.customer();
    invalidRequest(
      await send('DELETE', '/v1/payment-methods/pm_nope', c.key, {
        type: 'application/json',
        payload: body,
        idem: 'd',
      }),
    );
    invalidRequest(await send('POST', '/v1/orders', c.key, { type: FORM, payload: body, idem: 'deep-form' }));
  });

  it(`${MAX_JSON_DEPTH} levels are parsed (the schema then refuses them); ${MAX_JSON_DEPTH + 1} are not`, async () => {
    const c = await h.customer();
    const atLimit = `{"product":"residential","gb":${deepArray(MAX_JSON_DEPTH - 1)}}`;
    const within = invalidRequest(
      await send('POST', '/v1/orders', c.key, { payload: atLimit, idem: 'at-limit' }),
    );
    expect(within.message).not.toContain('deeper');
    const over = `{"product":"residential","gb":${deepArray(MAX_JSON_DEPTH)}}`;
    expect(
      invalidRequest(await send('POST', '/v1/orders', c.key, { payload: over, idem: 'over' })).message,
    ).toContain('deeper');
  });

  it('counts brackets outside strings only', () => {
    expect(nestsDeeperThan(`{"note":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan(`{"note":"\\"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(nestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(nestsDeeperThan('[[[[]]]]', 3)).toBe(true);
  });
});

describe('optional bodies may be left out', () => {
  const absent = { name: 'no body', opts: {} };
  const emptyJson = {
    name: 'an empty body under a JSON content type',
    opts: { type: 'application/json', payload: '' },
  };

  it.each([absent, emptyJson])('POST /v1/orders/{id}/pay and /cancel take $name', async ({ opts }) => {
    const c = await h.customer({ balanceUsd: 500 });
    const place = (body: object) =>
      send('POST', '/v1/orders', c.key, { type: 'application/json', payload: JSON.stringify(body) });
    const toPay = (await place({ product: 'residential', gb: 50, pay: 'later' })).json();
    const paid = await send('POST', `/v1/orders/${toPay.id}/pay`, c.key, opts);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ id: toPay.id, payment_status: 'paid' });

    const toCancel = (await place({ product: 'residential', gb: 50, pay: 'later' })).json();
    const cancelled = await send('POST', `/v1/orders/${toCancel.id}/cancel`, c.key, opts);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: toCancel.id, status: 'cancelled' });
  });

  it.each([absent, emptyJson])(
    'POST /admin/v1/accounts/{id}/api-keys and /admin/v1/admin-tokens take $name',
    async ({ opts }) => {
      const c = await h.customer();
      const key = await send('POST', `/admin/v1/accounts/${c.id}/api-keys`, ADMIN_TOKEN, opts);
      expect(key.statusCode, key.body).toBe(200);
      expect((await send('GET', '/v1/account', key.json().key)).statusCode).toBe(200);
      const token = await send('POST', '/admin/v1/admin-tokens', ADMIN_TOKEN, opts);
      expect(token.statusCode, token.body).toBe(200);
      expect((await send('GET', '/admin/v1/admin-tokens', token.json().token)).statusCode).toBe(200);
    },
  );
});

describe('a route that takes no body refuses one', () => {
  async function cardOf(key: string): Promise<string[]> {
    return (await send('GET', '/v1/payment-methods', key)).json().data.map((m: { id: string }) => m.id);
  }

  it('a DELETE sent with junk is 400 invalid_request and deletes nothing', async () => {
    const c = await h.customer();
    await addCard(h, c.key);
    const [pm] = await cardOf(c.key);
    for (const payload of ['{"force":true}', '[1]', 'null']) {
      const res = await send('DELETE', `/v1/payment-methods/${pm}`, c.key, {
        type: 'application/json',
        payload,
      });
      expect(invalidRequest(res).message).toContain('takes no body');
    }
    invalidRequest(await send('DELETE', `/v1/payment-methods/${pm}`, c.key, { type: FORM, payload: 'junk' }));
    const token = (await send('POST', '/admin/v1/admin-tokens', ADMIN_TOKEN)).json();
    invalidRequest(
      await send('DELETE', `/admin/v1/admin-tokens/${token.id}`, ADMIN_TOKEN, {
        type: FORM,
        payload: 'confirm=1',
      }),
    );
    expect(await cardOf(c.key)).toEqual([pm]);
    expect((await send('GET', '/admin/v1/admin-tokens', token.token)).statusCode).toBe(200);
  });

  it('a GET sent with a body is 400 invalid_request', async () => {
    const c = await h.customer();
    const res = await send('GET', '/v1/account', c.key, {
      type: 'application/json',
      payload: '{"id":"acc_x"}',
    });
    invalidRequest(res);
  });

  it('no body, an empty one or {} is fine', async () => {
    const c = await h.customer();
    await addCard(h, c.key);
    const [pm] = await cardOf(c.key);
    const makeDefault = (opts: { type?: string; payload?: string }) =>
      send('POST', `/v1/payment-methods/${pm}/default`, c.key, opts);
    expect((await makeDefault({})).statusCode).toBe(200);
    expect((await makeDefault({ type: 'application/json', payload: '' })).statusCode).toBe(200);
    expect((await makeDefault({ type: 'application/json', payload: '{}' })).statusCode).toBe(200);
    expect(
      (await send('GET', '/v1/account', c.key, { type: 'application/json', payload: '' })).statusCode,
    ).toBe(200);
    const gone = await send('DELETE', `/v1/payment-methods/${pm}`, c.key, {
      type: 'application/json',
      payload: '{}',
    });
    expect(gone.statusCode, gone.body).toBe(200);
    expect(await cardOf(c.key)).toEqual([]);
  });
});
