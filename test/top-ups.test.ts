import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topUp } from '../src/app/billing/top-up.ts';
import { claimKey } from '../src/db/idempotency.ts';
import { requestHash } from '../src/http/idempotency.ts';
import { balanceOf, cardCharges, customerWithCard, postpaidArrears } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function transactions(key: string) {
  return (await h.call('GET', '/v1/billing/transactions', { key })).json().data as {
    amount_usd: number;
    balance_after_usd: number;
    cause: string;
    payment_id: string | null;
  }[];
}

describe('POST /v1/billing/top-ups (SPEC §5)', () => {
  it('charges the default card 50.00 and credits the balance with a top_up ledger entry', async () => {
    const c = await customerWithCard(h);
    const res = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 50 } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"amount_usd":50.00');
    expect(res.body).toContain('"balance_usd":50.00');
    const t = res.json();
    expect(t.id).toMatch(/^pay_[0-9A-Z]{26}$/);
    expect(t).toMatchObject({
      object: 'top_up',
      amount_usd: 50,
      status: 'succeeded',
      balance_usd: 50,
      created_at: '2026-05-28T10:00:00.000Z',
    });
    expect(await balanceOf(h, c.key)).toBe(50);
    expect(await transactions(c.key)).toMatchObject([
      { amount_usd: 50, balance_after_usd: 50, cause: 'top_up', payment_id: t.id },
    ]);
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 5000, status: 'succeeded', refunded_cents: 0 },
    ]);
    const got = await h.call('GET', `/v1/billing/top-ups/${t.id}`, { key: c.key });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(t);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a top-up pays arrears off first: −30.00 + 50.00 leaves 20.00', async () => {
    const c = await customerWithCard(h);
    // arrears come from postpaid charges only (SPEC §2; an operator debit must be covered)
    await postpaidArrears(h, c.id, 3000);
    const res = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: '50.00' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ amount_usd: 50, balance_usd: 20 });
    expect((await h.call('GET', '/v1/account', { key: c.key })).json()).toMatchObject({
      balance_usd: 20,
      arrears_usd: 0,
    });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
  ])(
    'card %s declines: 409 insufficient_balance with decline_code %s, nothing credited',
    async (number, code) => {
      const c = await customerWithCard(h, { balanceUsd: 5, card: number });
      const res = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 20 } });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'insufficient_balance', decline_code: code });
      expect(await balanceOf(h, c.key)).toBe(5);
      expect((await transactions(c.key)).map((e) => e.cause)).toEqual(['adjustment']);
      expect(await cardCharges(h, c.id)).toEqual([
        { amount_cents: 2000, status: 'declined', refunded_cents: 0 },
      ]);
      const [p] = await h.db.query<{ status: string; failure_code: string }>(
        'SELECT status, failure_code FROM payments WHERE account_id = $1',
        [c.id],
      );
      expect(p).toEqual({ status: 'failed', failure_code: code });
      expect(await h.ledgerMismatches()).toEqual([]);
    },
  );

  it('no default payment method: 409 insufficient_balance, decline_code no_payment_method, no charge', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 20 } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'insufficient_balance',
      decline_code: 'no_payment_method',
    });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await cardCharges(h, c.id)).toEqual([]);
  });

  it.each([0.99, 0, -5, 100_000.01, 1.001, '12.345', 'abc', '', null])(
    'amount_usd %s is 400 invalid_request on amount_usd',
    async (amount) => {
      const c = await customerWithCard(h);
      const res = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: amount } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'amount_usd' });
      expect(await cardCharges(h, c.id)).toEqual([]);
    },
  );

  it('the bounds 1.00 and 100,000.00 are accepted', async () => {
    const c = await customerWithCard(h);
    const lo = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 1 } });
    const hi = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: '100000.00' } });
    expect([lo.statusCode, hi.statusCode]).toEqual([200, 200]);
    expect(hi.body).toContain('"balance_usd":100001.00');
    expect(await balanceOf(h, c.key)).toBe(100001);
  });

  it('an Idempotency-Key replay charges once; the same key with another amount is 422', async () => {
    const c = await customerWithCard(h);
    const headers = { 'idempotency-key': 'topup-1' };
    const a = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 30 }, headers });
    const b = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 30 }, headers });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json()).toEqual(a.json());
    const other = await h.call('POST', '/v1/billing/top-ups', {
      key: c.key,
      body: { amount_usd: 31 },
      headers,
    });
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('idempotency_key_reused');
    expect(await cardCharges(h, c.id)).toHaveLength(1);
    expect(await balanceOf(h, c.key)).toBe(30);
  });

  it('10 concurrent top-ups of 10.00 make 10 charges and a 100.00 balance', async () => {
    const c = await customerWithCard(h);
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 10 } }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect(await cardCharges(h, c.id)).toHaveLength(10);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a retry with the key of a request that died after the charge gets that top-up, not a second charge', async () => {
    const c = await customerWithCard(h);
    const key = 'topup-crash';
    const body = { amount_usd: 25 };
    // the first request claimed the key, charged the card and died before settling
    const now = await h.clock.now();
    await claimKey(h.db, {
      scope: c.id,
      key,
      requestHash: await requestHash(h.db, 'POST', '/v1/billing/top-ups', body),
      now,
      leaseUntil: new Date(Date.now() - 1000),
      expiredBefore: new Date(now.getTime() - 86_400_000),
    });
    await expect(
      topUp(h.deps, {
        accountId: c.id,
        amountCents: 2500,
        idem: { scope: c.id, key },
        afterCharge: async () => {
          throw new Error('process died');
        },
      }),
    ).rejects.toThrow('process died');
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await cardCharges(h, c.id)).toHaveLength(1);

    const retry = await h.call('POST', '/v1/billing/top-ups', {
      key: c.key,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({
      object: 'top_up',
      amount_usd: 25,
      status: 'succeeded',
      balance_usd: 25,
    });
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 2500, status: 'succeeded', refunded_cents: 0 },
    ]);
    expect(await balanceOf(h, c.key)).toBe(25);
    const again = await h.call('POST', '/v1/billing/top-ups', {
      key: c.key,
      body,
      headers: { 'idempotency-key': key },
    });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(retry.json().id);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('other tenants', () => {
  it("another account's top-up is 404 and never shows in its transactions", async () => {
    const owner = await customerWithCard(h);
    const other = await h.customer();
    const t = (
      await h.call('POST', '/v1/billing/top-ups', { key: owner.key, body: { amount_usd: 15 } })
    ).json();
    const res = await h.call('GET', `/v1/billing/top-ups/${t.id}`, { key: other.key });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    expect(await transactions(other.key)).toEqual([]);
    // the other account has no card of its own: the owner's card is never charged for it
    const own = await h.call('POST', '/v1/billing/top-ups', { key: other.key, body: { amount_usd: 15 } });
    expect(own.statusCode).toBe(409);
    expect(own.json().error.decline_code).toBe('no_payment_method');
    expect(await cardCharges(h, owner.id)).toHaveLength(1);
  });
});
