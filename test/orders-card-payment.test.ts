/** Paying an order with the balance and the default card for the rest (SPEC §5). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { cardCharges, customerWithCard, postpaidArrears } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { RESIDENTIAL_225 as ORDER } from './support/orders.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function account(key: string) {
  return (await h.call('GET', '/v1/account', { key })).json() as { balance_usd: number; arrears_usd: number };
}

async function orders(key: string) {
  return (await h.call('GET', '/v1/orders', { key })).json().data as { id: string }[];
}

async function ledger(key: string) {
  const data = (await h.call('GET', '/v1/billing/transactions', { key })).json().data as {
    amount_usd: number;
    balance_after_usd: number;
    cause: string;
    order_id: string | null;
    payment_id: string | null;
  }[];
  return data;
}

function byAmount<T extends { amount_cents: number }>(charges: T[]): T[] {
  return [...charges].sort((a, b) => a.amount_cents - b.amount_cents);
}

async function adjust(accountId: string, amountUsd: number) {
  const res = await h.call('POST', `/admin/v1/accounts/${accountId}/balance-adjustments`, {
    admin: true,
    body: { amount_usd: amountUsd, reason: 'test' },
  });
  expect(res.statusCode).toBe(200);
}

describe('balance first, then the default card for the rest', () => {
  it('balance 100.00 and a 225.00 order: the card is charged 125.00 and the balance ends at 0.00', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: ORDER });
    expect(res.statusCode).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ payment_status: 'paid', status: 'completed', total_usd: 225, paid_usd: 225 });
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 12500, status: 'succeeded', refunded_cents: 0 },
    ]);
    const entries = await ledger(c.key);
    expect(entries.map((e) => [e.cause, e.amount_usd, e.balance_after_usd])).toEqual([
      ['order', -225, 0],
      ['card_payment', 125, 225],
      ['adjustment', 100, 100],
    ]);
    expect(entries[0]!.order_id).toBe(o.id);
    expect(entries[1]!.order_id).toBe(o.id);
    expect(entries[1]!.payment_id).toMatch(/^pay_/);
    expect((await account(c.key)).balance_usd).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a balance that covers the order never touches the card', async () => {
    const c = await customerWithCard(h, { balanceUsd: 300 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: ORDER });
    expect(res.statusCode).toBe(200);
    expect(await cardCharges(h, c.id)).toEqual([]);
    expect((await account(c.key)).balance_usd).toBe(75);
  });

  it('no balance at all: the card pays the whole 4.50', async () => {
    const c = await customerWithCard(h);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } });
    expect(res.statusCode).toBe(200);
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 450, status: 'succeeded', refunded_cents: 0 },
    ]);
    expect((await ledger(c.key)).map((e) => [e.cause, e.amount_usd])).toEqual([
      ['order', -4.5],
      ['card_payment', 4.5],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
  ])(
    'card %s declines: 409 insufficient_balance with decline_code %s, no order, balance unchanged',
    async (number, code) => {
      const c = await customerWithCard(h, { balanceUsd: 100, card: number });
      const res = await h.call('POST', '/v1/orders', { key: c.key, body: ORDER });
      expect(res.statusCode).toBe(409);
      expect(res.json().error).toMatchObject({ code: 'insufficient_balance', decline_code: code });
      expect(await orders(c.key)).toEqual([]);
      expect((await account(c.key)).balance_usd).toBe(100);
      expect((await ledger(c.key)).map((e) => e.cause)).toEqual(['adjustment']);
      expect(await cardCharges(h, c.id)).toEqual([
        { amount_cents: 12500, status: 'declined', refunded_cents: 0 },
      ]);
      const pools = await h.db.query('SELECT remaining_bytes FROM traffic_pools WHERE account_id = $1', [
        c.id,
      ]);
      expect(pools).toEqual([]);
      expect(await h.ledgerMismatches()).toEqual([]);
    },
  );

  it('the card covers the arrears too: −50.00 and a 225.00 order charge 275.00 and leave 0.00', async () => {
    const c = await customerWithCard(h);
    await postpaidArrears(h, c.id, 5000);
    expect(await account(c.key)).toMatchObject({ balance_usd: -50, arrears_usd: 50 });
    const quote = await h.call('POST', '/v1/orders/quote', { key: c.key, body: ORDER });
    expect(quote.json().payment).toMatchObject({ from_card_usd: 275, arrears_covered_usd: 50 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: ORDER });
    expect(res.statusCode).toBe(200);
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 27500, status: 'succeeded', refunded_cents: 0 },
    ]);
    expect((await ledger(c.key)).map((e) => [e.cause, e.amount_usd, e.balance_after_usd])).toEqual([
      ['order', -225, 0],
      ['card_payment', 275, 225],
      ['usage_charge', -50, -50],
    ]);
    expect(await account(c.key)).toMatchObject({ balance_usd: 0, arrears_usd: 0 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('arrears and a declined card: 409, the arrears stay as they were', async () => {
    const c = await customerWithCard(h, { card: '4000000000000002' });
    await postpaidArrears(h, c.id, 5000);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.decline_code).toBe('card_declined');
    expect(await account(c.key)).toMatchObject({ balance_usd: -50, arrears_usd: 50 });
  });

  it('an Idempotency-Key replay of a card-paid order charges the card once', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const headers = { 'idempotency-key': 'card-order-1' };
    const a = await h.call('POST', '/v1/orders', { key: c.key, body: ORDER, headers });
    const b = await h.call('POST', '/v1/orders', { key: c.key, body: ORDER, headers });
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json().id).toBe(a.json().id);
    expect(await orders(c.key)).toHaveLength(1);
    expect(await cardCharges(h, c.id)).toHaveLength(1);
  });

  it('two concurrent 225.00 orders on a 225.00 balance: one paid from the balance, the other by the card', async () => {
    const c = await customerWithCard(h, { balanceUsd: 225 });
    const results = await Promise.all([
      h.call('POST', '/v1/orders', { key: c.key, body: ORDER }),
      h.call('POST', '/v1/orders', { key: c.key, body: ORDER }),
    ]);
    expect(results.map((r) => r.statusCode)).toEqual([200, 200]);
    expect(await orders(c.key)).toHaveLength(2);
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 22500, status: 'succeeded', refunded_cents: 0 },
    ]);
    expect((await account(c.key)).balance_usd).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the balance spent while the card was charged: that charge is refunded and the request decides again, paying 225.00 by card', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    let races = 0;
    const r = await placeOrder(h.deps, {
      accountId: c.id,
      input: { product: 'residential', gb: 50 },
      afterCharge: async () => {
        if (races++ === 0) await adjust(c.id, -100);
      },
    });
    expect(r.ok).toBe(true);
    expect(races).toBe(2);
    // the frozen test clock gives both charges one time: compare them by amount
    expect(byAmount(await cardCharges(h, c.id))).toEqual([
      { amount_cents: 12500, status: 'succeeded', refunded_cents: 12500 },
      { amount_cents: 22500, status: 'succeeded', refunded_cents: 0 },
    ]);
    const statuses = await h.db.query<{ status: string }>(
      'SELECT status FROM payments WHERE account_id = $1 ORDER BY created_at, id',
      [c.id],
    );
    expect(statuses.map((p) => p.status).sort()).toEqual(['succeeded', 'voided']);
    const [o] = await orders(c.key);
    expect(o!.id).toBe(r.ok ? r.value.id : '');
    expect((await ledger(c.key)).map((e) => [e.cause, e.amount_usd, e.balance_after_usd])).toEqual([
      ['order', -225, 0],
      ['card_payment', 225, 225],
      ['adjustment', -100, 0],
      ['adjustment', 100, 100],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the balance moves under every attempt: after 3 races 409 balance_changed, every charge refunded, nothing written', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    let races = 0;
    const r = await placeOrder(h.deps, {
      accountId: c.id,
      input: { product: 'residential', gb: 50 },
      // first the balance is spent, then the account falls 10.00 into arrears each time
      afterCharge: async () => {
        if (races++ === 0) await adjust(c.id, -100);
        else await postpaidArrears(h, c.id, 1000);
      },
    });
    expect(races).toBe(3);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toMatchObject({
        code: 'insufficient_balance',
        detail: { decline_code: 'balance_changed' },
      });
    }
    // 225 − 100 on the card, then 225 with a zero balance, then 235 covering 10.00 of arrears
    expect(byAmount(await cardCharges(h, c.id))).toEqual([
      { amount_cents: 12500, status: 'succeeded', refunded_cents: 12500 },
      { amount_cents: 22500, status: 'succeeded', refunded_cents: 22500 },
      { amount_cents: 23500, status: 'succeeded', refunded_cents: 23500 },
    ]);
    expect(await orders(c.key)).toEqual([]);
    expect((await account(c.key)).balance_usd).toBe(-20);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('other tenants', () => {
  it("an order is charged only to the ordering account's own default card", async () => {
    const owner = await customerWithCard(h);
    const other = await h.customer();
    const res = await h.call('POST', '/v1/orders', { key: other.key, body: ORDER });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.decline_code).toBe('no_payment_method');
    expect(await cardCharges(h, owner.id)).toEqual([]);
    expect(await cardCharges(h, other.id)).toEqual([]);
  });

  it("another account's card order is 404 for everyone else", async () => {
    const owner = await customerWithCard(h);
    const other = await h.customer();
    const o = (await h.call('POST', '/v1/orders', { key: owner.key, body: ORDER })).json();
    const res = await h.call('GET', `/v1/orders/${o.id}`, { key: other.key });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
