/**
 * The one error envelope (SPEC §1): every failure is an HTTP status plus
 * {"error": {code, message, param?, request_id}}, and the Request-Id header carries the same id.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';

let h: Harness;
let c: { id: string; key: string };
beforeAll(async () => {
  h = await harness();
  c = await h.customer({ balanceUsd: 100 });
});
afterAll(async () => {
  await h?.close();
});

/** Asserts the envelope and returns its error object. */
function envelope(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  const e = body.error;
  expect(e.code).toBe(code);
  expect(typeof e.message).toBe('string');
  expect(e.message.length).toBeGreaterThan(0);
  expect(e.request_id).toMatch(/^req_[0-9a-f]{20}$/);
  expect(res.headers['request-id']).toBe(e.request_id);
  if ('param' in e) expect(typeof e.param).toBe('string');
  return e as { code: string; message: string; param?: string; request_id: string };
}

function raw(method: 'GET' | 'POST', url: string, headers: Record<string, string>, payload?: string) {
  return h.app.inject({ method, url, headers, ...(payload !== undefined ? { payload } : {}) });
}

const auth = () => ({ authorization: `Bearer ${c.key}` });

describe('the error envelope on bad input (400 invalid_request)', () => {
  it('broken JSON is 400 invalid_request', async () => {
    const res = await raw(
      'POST',
      '/v1/orders',
      { ...auth(), 'content-type': 'application/json' },
      '{"product": "residential", "gb": ',
    );
    envelope(res, 400, 'invalid_request');
  });

  it('a JSON body with a __proto__ key is refused as 400, not merged into objects', async () => {
    const res = await raw(
      'POST',
      '/v1/orders',
      { ...auth(), 'content-type': 'application/json' },
      '{"product":"residential","gb":1,"__proto__":{"admin":true}}',
    );
    envelope(res, 400, 'invalid_request');
  });

  it('a content type the API does not speak is 415 with the invalid_request envelope', async () => {
    const res = await raw(
      'POST',
      '/v1/orders',
      { ...auth(), 'content-type': 'application/xml' },
      '<order><gb>1</gb></order>',
    );
    envelope(res, 415, 'invalid_request');
  });

  it('a text/plain body where an object is expected is 400 invalid_request', async () => {
    const res = await raw('POST', '/v1/orders', { ...auth(), 'content-type': 'text/plain' }, 'gb=1');
    envelope(res, 400, 'invalid_request');
  });

  it('an empty body on POST /v1/orders is 400 invalid_request, with or without a JSON content type', async () => {
    envelope(
      await raw('POST', '/v1/orders', { ...auth(), 'content-type': 'application/json' }, ''),
      400,
      'invalid_request',
    );
    envelope(await raw('POST', '/v1/orders', auth()), 400, 'invalid_request');
  });

  it('an unknown field is 400 invalid_request naming the field', async () => {
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 1, colour: 'blue' },
    });
    const e = envelope(res, 400, 'invalid_request');
    expect(e.param).toBe('colour');
  });

  it('a string where a number is expected is 400 invalid_request naming the field', async () => {
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: '50' },
    });
    const e = envelope(res, 400, 'invalid_request');
    expect(e.param).toBe('gb');
  });

  it('an unknown product is 400 invalid_request naming product', async () => {
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'dialup', gb: 1 } });
    expect(envelope(res, 400, 'invalid_request').param).toBe('product');
  });

  it('a bad query parameter is 400 invalid_request naming it', async () => {
    const res = await h.call('GET', '/v1/orders?limit=abc', { key: c.key });
    expect(envelope(res, 400, 'invalid_request').param).toBe('limit');
  });

  it('a NUL character in a body string is 400 invalid_request, not a database error', async () => {
    const res = await h.call('POST', '/admin/v1/accounts', {
      admin: true,
      body: { email: 'nul@example.com', name: 'a\u0000b' },
    });
    expect(envelope(res, 400, 'invalid_request').param).toBe('name');
  });

  it('a lone surrogate in a body string is 400 invalid_request', async () => {
    const res = await raw(
      'POST',
      '/admin/v1/accounts',
      { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      '{"email":"surrogate@example.com","name":"\\ud800x"}',
    );
    expect(envelope(res, 400, 'invalid_request').param).toBe('name');
  });

  it('a NUL character in a path or query parameter is 400 invalid_request', async () => {
    expect(envelope(await raw('GET', '/v1/orders/ord_%00', auth()), 400, 'invalid_request').param).toBe('id');
    expect(
      envelope(await raw('GET', '/v1/orders?starting_after=%00', auth()), 400, 'invalid_request').param,
    ).toBe('starting_after');
  });

  it('a date outside the years 0001–9999 is 400 invalid_request, not a database error', async () => {
    const res = await h.call('GET', '/v1/orders?created_from=0000-01-01', { key: c.key });
    expect(envelope(res, 400, 'invalid_request').param).toBe('created_from');
  });

  it('balance adjustments cannot push a balance past 9,999,999,999,999.99 (400) nor below zero (409), not a 5xx', async () => {
    const rich = await h.customer();
    const adjust = (amount_usd: string) =>
      h.call('POST', `/admin/v1/accounts/${rich.id}/balance-adjustments`, {
        admin: true,
        body: { amount_usd, reason: 'limit' },
      });
    expect((await adjust('9999999999999.99')).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) {
      expect(envelope(await adjust('9999999999999.99'), 400, 'invalid_request').param).toBe('amount_usd');
    }
    expect((await adjust('-9999999999999.99')).statusCode).toBe(200);
    // below zero only through postpaid charges (SPEC §2): an operator debit must be covered
    expect(envelope(await adjust('-9999999999999.99'), 409, 'insufficient_balance').param).toBe('amount_usd');
    expect(envelope(await adjust('-0.01'), 409, 'insufficient_balance').param).toBe('amount_usd');
    expect((await h.call('GET', '/v1/account', { key: rich.key })).json().balance_usd).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('an Idempotency-Key longer than 255 characters is 400 invalid_request', async () => {
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 1 },
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    expect(envelope(res, 400, 'invalid_request').param).toBe('Idempotency-Key');
  });

  it('a malformed percent-encoding in the path is 400 invalid_request with the envelope', async () => {
    envelope(await raw('GET', '/v1/orders/%E0%A4%A', auth()), 400, 'invalid_request');
    envelope(await raw('GET', '/v1/orders/%', auth()), 400, 'invalid_request');
  });

  it('a path parameter past the router limit is 400 invalid_request with the envelope', async () => {
    envelope(await raw('GET', `/v1/orders/${'a'.repeat(300)}`, auth()), 400, 'invalid_request');
    envelope(
      await raw('POST', `/admin/v1/accounts/${'a'.repeat(300)}/api-keys`, {
        authorization: `Bearer ${ADMIN_TOKEN}`,
      }),
      400,
      'invalid_request',
    );
  });

  it('a body over the 2 MiB limit is 413 with the envelope', async () => {
    const big = JSON.stringify({ product: 'residential', gb: 1, pad: 'x'.repeat(2 * 1024 * 1024) });
    const res = await raw('POST', '/v1/orders', { ...auth(), 'content-type': 'application/json' }, big);
    envelope(res, 413, 'invalid_request');
  });
});

describe('the error envelope on routes and auth', () => {
  it('an unknown route is 404 not_found', async () => {
    envelope(await h.call('GET', '/v1/nothing-here', { key: c.key }), 404, 'not_found');
    envelope(await h.call('POST', '/v2/orders', { key: c.key, body: {} }), 404, 'not_found');
  });

  it('an unknown order id is 404 not_found naming id', async () => {
    const res = await h.call('GET', '/v1/orders/ord_01J00000000000000000000000', { key: c.key });
    expect(envelope(res, 404, 'not_found').param).toBe('id');
  });

  it('no Authorization header is 401 unauthenticated', async () => {
    envelope(await h.call('GET', '/v1/orders'), 401, 'unauthenticated');
    envelope(
      await h.call('POST', '/v1/orders', { body: { product: 'residential', gb: 1 } }),
      401,
      'unauthenticated',
    );
    envelope(await h.call('GET', `/admin/v1/accounts/${c.id}`), 401, 'unauthenticated');
  });

  it('a malformed Authorization header is 401 unauthenticated', async () => {
    envelope(await raw('GET', '/v1/orders', { authorization: 'Basic abc' }), 401, 'unauthenticated');
    envelope(await raw('GET', '/v1/orders', { authorization: 'Bearer' }), 401, 'unauthenticated');
  });

  it('an unknown API key is 401 unauthenticated', async () => {
    envelope(await h.call('GET', '/v1/orders', { key: 'sk_live_not_a_real_key' }), 401, 'unauthenticated');
  });

  it('a customer key on /admin/v1 is 403 forbidden', async () => {
    envelope(await h.call('GET', `/admin/v1/accounts/${c.id}`, { key: c.key }), 403, 'forbidden');
    envelope(
      await h.call('POST', '/admin/v1/accounts', {
        key: c.key,
        body: { email: 'x@example.com', name: 'x' },
      }),
      403,
      'forbidden',
    );
  });

  it('an admin token on /v1 is 401 unauthenticated: it never acts as a customer', async () => {
    envelope(await h.call('GET', '/v1/orders', { admin: true }), 401, 'unauthenticated');
    envelope(
      await h.call('POST', '/v1/orders', { admin: true, body: { product: 'residential', gb: 1 } }),
      401,
      'unauthenticated',
    );
  });

  it('auth is checked before the body: an unauthenticated broken body is 401, not 400', async () => {
    const res = await raw('POST', '/v1/orders', { 'content-type': 'application/json' }, '{oops');
    envelope(res, 401, 'unauthenticated');
  });

  it('domain errors carry the envelope too: 422 quantity_out_of_range', async () => {
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 0 } });
    expect(envelope(res, 422, 'quantity_out_of_range').param).toBe('gb');
  });

  it('successful responses carry a Request-Id header too', async () => {
    const res = await h.call('GET', '/v1/orders', { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.headers['request-id']).toMatch(/^req_[0-9a-f]{20}$/);
  });
});
