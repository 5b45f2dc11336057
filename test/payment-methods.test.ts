import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const VISA = '4242 4242 4242 4242';

function card(number: string, extra: Record<string, unknown> = {}) {
  return { card: { number, exp_month: 12, exp_year: 2030, cvc: '123' }, ...extra };
}

async function addCard(key: string, number = VISA, extra: Record<string, unknown> = {}) {
  const res = await h.call('POST', '/v1/payment-methods', { key, body: card(number, extra) });
  expect(res.statusCode).toBe(200);
  return res.json() as { id: string; default: boolean };
}

async function defaultOf(key: string): Promise<string | null> {
  return (await h.call('GET', '/v1/account', { key })).json().default_payment_method;
}

describe('attaching a card (SPEC §5, §11)', () => {
  it('shows brand, last 4 and expiry only, and the first card becomes the default', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/payment-methods', { key: c.key, body: card(VISA) });
    expect(res.statusCode).toBe(200);
    const pm = res.json();
    expect(pm.id).toMatch(/^pm_[0-9A-Z]{26}$/);
    expect(pm).toEqual({
      id: pm.id,
      object: 'payment_method',
      type: 'card',
      brand: 'visa',
      last4: '4242',
      exp_month: 12,
      exp_year: 2030,
      default: true,
      created_at: '2026-05-28T10:00:00.000Z',
    });
    expect(res.body).not.toContain('4242424242424242');
    expect(await defaultOf(c.key)).toBe(pm.id);
  });

  it('the card number is stored nowhere in the database', async () => {
    const c = await h.customer();
    const number = '4000056655665556';
    const res = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number, exp_month: 3, exp_year: 2031, cvc: '9753' } },
      headers: { 'idempotency-key': 'pm-secret-check' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ brand: 'visa', last4: '5556' });
    expect(res.body).not.toContain(number);
    const tables = await h.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(5);
    for (const { table_name } of tables) {
      const rows = await h.db.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
      for (const { row } of rows) {
        expect(row).not.toContain(number);
      }
    }
  });

  it('a second card is not the default; default: true makes a card the default', async () => {
    const c = await h.customer();
    const first = await addCard(c.key);
    const second = await addCard(c.key, '5555 5555 5555 4444');
    expect(second.default).toBe(false);
    expect(await defaultOf(c.key)).toBe(first.id);
    const third = await addCard(c.key, '4000 0566 5566 5556', { default: true });
    expect(third.default).toBe(true);
    expect(await defaultOf(c.key)).toBe(third.id);
    const list = (await h.call('GET', '/v1/payment-methods', { key: c.key })).json();
    expect(list.data.map((p: { id: string; default: boolean }) => [p.id, p.default])).toEqual([
      [third.id, true],
      [second.id, false],
      [first.id, false],
    ]);
    expect(list.data[1]).toMatchObject({ brand: 'mastercard', last4: '4444' });
  });

  it('default: false on an account without a default leaves it without one', async () => {
    const c = await h.customer();
    const pm = await addCard(c.key, VISA, { default: false });
    expect(pm.default).toBe(false);
    expect(await defaultOf(c.key)).toBeNull();
  });

  it('a number failing the checksum is 422 card_invalid on card.number, without echoing it', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/payment-methods', { key: c.key, body: card('4242424242424241') });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'card_invalid', param: 'card.number' });
    expect(res.body).not.toContain('4242424242424241');
    expect((await h.call('GET', '/v1/payment-methods', { key: c.key })).json().data).toEqual([]);
  });

  it('a malformed cvc is 422 card_invalid on card.cvc', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: VISA, exp_month: 12, exp_year: 2030, cvc: '12a' } },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'card_invalid', param: 'card.cvc' });
  });

  it('a card that expired before this month is 422 card_expired; one expiring this month is accepted', async () => {
    const c = await h.customer();
    const expired = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: VISA, exp_month: 4, exp_year: 2026, cvc: '123' } },
    });
    expect(expired.statusCode).toBe(422);
    expect(expired.json().error).toMatchObject({ code: 'card_expired', param: 'card.exp_year' });
    const current = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: VISA, exp_month: 5, exp_year: 26, cvc: '123' } },
    });
    expect(current.statusCode).toBe(200);
    expect(current.json()).toMatchObject({ exp_month: 5, exp_year: 2026 });
  });

  it.each([
    ['no card', {}],
    ['exp_month 13', { card: { number: VISA, exp_month: 13, exp_year: 2030, cvc: '123' } }],
    [
      'number as a JSON number',
      { card: { number: 4242424242424242, exp_month: 1, exp_year: 2030, cvc: '1' } },
    ],
    ['an unknown field', { ...card(VISA), nickname: 'x' }],
  ])('a body with %s is 400 invalid_request', async (_name, body) => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/payment-methods', { key: c.key, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.body).not.toContain('4242424242424242');
  });

  it('an Idempotency-Key replay attaches the card once', async () => {
    const c = await h.customer();
    const headers = { 'idempotency-key': 'pm-once' };
    const a = await h.call('POST', '/v1/payment-methods', { key: c.key, body: card(VISA), headers });
    const b = await h.call('POST', '/v1/payment-methods', { key: c.key, body: card(VISA), headers });
    expect(b.statusCode).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json().id).toBe(a.json().id);
    expect((await h.call('GET', '/v1/payment-methods', { key: c.key })).json().data).toHaveLength(1);
  });
});

describe('listing, choosing the default and detaching', () => {
  it('lists newest first with cursor pagination', async () => {
    const c = await h.customer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await addCard(c.key)).id);
    const p1 = (await h.call('GET', '/v1/payment-methods?limit=2', { key: c.key })).json();
    expect(p1.object).toBe('list');
    expect(p1.has_more).toBe(true);
    expect(p1.data.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
    const p2 = (
      await h.call('GET', `/v1/payment-methods?limit=2&starting_after=${ids[1]}`, { key: c.key })
    ).json();
    expect(p2).toMatchObject({ has_more: false });
    expect(p2.data.map((p: { id: string }) => p.id)).toEqual([ids[0]]);
    const bad = await h.call('GET', '/v1/payment-methods?limit=0', { key: c.key });
    expect(bad.statusCode).toBe(400);
  });

  it('POST /v1/payment-methods/{id}/default switches the default', async () => {
    const c = await h.customer();
    const first = await addCard(c.key);
    const second = await addCard(c.key);
    const res = await h.call('POST', `/v1/payment-methods/${second.id}/default`, { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: second.id, default: true });
    expect(await defaultOf(c.key)).toBe(second.id);
    const got = (await h.call('GET', `/v1/payment-methods/${first.id}`, { key: c.key })).json();
    expect(got).toMatchObject({ id: first.id, default: false });
  });

  it('detaching the default card leaves the account with no default; the card is gone', async () => {
    const c = await h.customer();
    const first = await addCard(c.key);
    const second = await addCard(c.key);
    const res = await h.call('DELETE', `/v1/payment-methods/${first.id}`, { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: first.id, object: 'payment_method', deleted: true });
    expect(await defaultOf(c.key)).toBeNull();
    const list = (await h.call('GET', '/v1/payment-methods', { key: c.key })).json();
    expect(list.data.map((p: { id: string; default: boolean }) => [p.id, p.default])).toEqual([
      [second.id, false],
    ]);
    expect((await h.call('GET', `/v1/payment-methods/${first.id}`, { key: c.key })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/v1/payment-methods/${first.id}`, { key: c.key })).statusCode).toBe(404);
    expect((await h.call('POST', `/v1/payment-methods/${first.id}/default`, { key: c.key })).statusCode).toBe(
      404,
    );
  });

  it('detaching a card that is not the default keeps the default', async () => {
    const c = await h.customer();
    const first = await addCard(c.key);
    const second = await addCard(c.key);
    expect((await h.call('DELETE', `/v1/payment-methods/${second.id}`, { key: c.key })).statusCode).toBe(200);
    expect(await defaultOf(c.key)).toBe(first.id);
  });

  it('after detaching the default, an order the balance does not cover fails no_payment_method', async () => {
    const c = await h.customer({ balanceUsd: 10 });
    const pm = await addCard(c.key);
    await h.call('DELETE', `/v1/payment-methods/${pm.id}`, { key: c.key });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'insufficient_balance',
      decline_code: 'no_payment_method',
    });
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(10);
  });
});

describe('other tenants', () => {
  it("another account's card is 404 not_found everywhere and is never listed", async () => {
    const owner = await h.customer();
    const other = await h.customer();
    const pm = await addCard(owner.key);
    for (const [method, path] of [
      ['GET', `/v1/payment-methods/${pm.id}`],
      ['POST', `/v1/payment-methods/${pm.id}/default`],
      ['DELETE', `/v1/payment-methods/${pm.id}`],
    ] as const) {
      const res = await h.call(method, path, { key: other.key });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await h.call('GET', '/v1/payment-methods', { key: other.key })).json().data).toEqual([]);
    const cursor = await h.call('GET', `/v1/payment-methods?starting_after=${pm.id}`, { key: other.key });
    expect(cursor.json().data).toEqual([]);
    expect(await defaultOf(other.key)).toBeNull();
    // the owner's card is untouched
    expect(await defaultOf(owner.key)).toBe(pm.id);
  });

  it('without an API key the routes are 401', async () => {
    const res = await h.call('POST', '/v1/payment-methods', { body: card(VISA) });
    expect(res.statusCode).toBe(401);
  });
});
