/**
 * Vouchers named in orders (SPEC §5): applied before the balance and the card, in
 * the order named, the deduction split over the line items; refusals are 422 voucher_invalid and
 * take nothing; the spend is a ledger entry of the voucher with the order's id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balanceOf, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';
import { orderCount } from './support/orders.ts';
import { issueVoucher } from './support/vouchers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

/** 120.00: us/newyork/7922 × 20 for a month */
const NEWYORK_20 = { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20 };

async function vouchers(key: string) {
  const data = (await h.call('GET', '/v1/vouchers', { key })).json().data as {
    id: string;
    remaining_usd: number;
    status: string;
  }[];
  return Object.fromEntries(data.map((v) => [v.id, { remaining_usd: v.remaining_usd, status: v.status }]));
}

function order(key: string, body: Record<string, unknown>) {
  return h.call('POST', '/v1/orders', { key, body });
}

async function voucherEntries(orderId: string) {
  return h.db.query<{ asset: string; amount: number; cause: string; order_id: string }>(
    `SELECT asset, amount, cause, order_id FROM ledger_entries WHERE order_id = $1 AND asset LIKE 'voucher:%'
     ORDER BY seq`,
    [orderId],
  );
}

describe('vouchers are applied before the balance', () => {
  it('a 10.00 voucher on a 225.00 order: voucher 10.00, the balance pays 215.00, the voucher is used up', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const v = await issueVoucher(h, c.id, 10);
    const res = await order(c.key, { product: 'residential', gb: 50, vouchers: [v] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"voucher_usd":10.00');
    const o = res.json();
    expect(o).toMatchObject({
      status: 'completed',
      payment_status: 'paid',
      original_usd: 225,
      voucher_usd: 10,
      total_usd: 215,
      paid_usd: 215,
    });
    expect(o.line_items[0]).toMatchObject({
      original_usd: 225,
      voucher_usd: 10,
      payable_usd: 215,
      paid_usd: 215,
    });
    expect(await balanceOf(h, c.key)).toBe(85);
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 0, status: 'used_up' } });
    // the record the refunds rely on: one entry of the voucher, negative, cause order, the order's id
    expect(await voucherEntries(o.id)).toEqual([
      { asset: `voucher:${v}`, amount: -1000, cause: 'order', order_id: o.id },
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a partly used voucher keeps its rest: 300.00 on a 225.00 order leaves 75.00 and never touches the balance', async () => {
    const c = await h.customer();
    const v = await issueVoucher(h, c.id, 300);
    const res = await order(c.key, { product: 'residential', gb: 50, vouchers: [v] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ voucher_usd: 225, total_usd: 0, paid_usd: 0, payment_status: 'paid' });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 75, status: 'active' } });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('several vouchers are taken in the order named: 5.00 then 20.00 on 22.50 take 5.00 and 17.50', async () => {
    const c = await h.customer({ balanceUsd: 1 });
    const a = await issueVoucher(h, c.id, 5);
    const b = await issueVoucher(h, c.id, 20);
    const res = await order(c.key, { product: 'residential', gb: 5, vouchers: [a, b] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ original_usd: 22.5, voucher_usd: 22.5, total_usd: 0 });
    expect(await vouchers(c.key)).toEqual({
      [a]: { remaining_usd: 0, status: 'used_up' },
      [b]: { remaining_usd: 2.5, status: 'active' },
    });
    expect((await voucherEntries(res.json().id)).map((e) => e.amount)).toEqual([-500, -1750]);
    expect(await balanceOf(h, c.key)).toBe(1);
  });

  it('the card pays what the vouchers and the balance leave: 225.00 − voucher 100.00 − balance 25.00 → card 100.00', async () => {
    const c = await customerWithCard(h, { balanceUsd: 25 });
    const v = await issueVoucher(h, c.id, 100);
    const res = await order(c.key, { product: 'residential', gb: 50, vouchers: [v] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ voucher_usd: 100, total_usd: 125, paid_usd: 125 });
    const charges = await h.db.query<{ amount_cents: number }>(
      `SELECT c.amount_cents FROM sandbox_charges c JOIN payments p ON p.id = c.idempotency_key
       WHERE p.account_id = $1`,
      [c.id],
    );
    expect(charges).toEqual([{ amount_cents: 10000 }]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 0, status: 'used_up' } });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a declined card undoes the voucher spend: 409 insufficient_balance, the voucher keeps its 100.00', async () => {
    const c = await customerWithCard(h, { card: '4000000000000002' });
    const v = await issueVoucher(h, c.id, 100);
    const res = await order(c.key, { product: 'residential', gb: 50, vouchers: [v] });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'insufficient_balance', decline_code: 'card_declined' });
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 100, status: 'active' } });
    expect(await orderCount(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('no card for the rest: 409 insufficient_balance, nothing taken', async () => {
    const c = await h.customer({ balanceUsd: 10 });
    const v = await issueVoucher(h, c.id, 10);
    const res = await order(c.key, { product: 'residential', gb: 50, vouchers: [v] });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.decline_code).toBe('no_payment_method');
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 10, status: 'active' } });
    expect(await balanceOf(h, c.key)).toBe(10);
  });

  it('mobile orders take vouchers too', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const v = await issueVoucher(h, c.id, 3, { products: ['mobile'] });
    const res = await order(c.key, { product: 'mobile', gb: 1, vouchers: [v] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().voucher_usd).toBe(3);
    expect(await balanceOf(h, c.key)).toBe(100 - res.json().total_usd);
  });
});

describe('unusable vouchers are refused with 422 voucher_invalid and nothing is taken', () => {
  async function refused(body: Record<string, unknown>, key: string, reason: string, voucherId: string) {
    const res = await order(key, body);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'voucher_invalid',
      param: 'vouchers',
      reason,
      voucher: voucherId,
    });
    expect(await orderCount(h, key)).toBe(0);
    return res;
  }

  it('an unknown voucher: reason not_found', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const good = await issueVoucher(h, c.id, 10);
    const unknown = 'vch_01J00000000000000000000000';
    await refused({ product: 'residential', gb: 5, vouchers: [good, unknown] }, c.key, 'not_found', unknown);
    expect(await vouchers(c.key)).toEqual({ [good]: { remaining_usd: 10, status: 'active' } });
    expect(await balanceOf(h, c.key)).toBe(300);
  });

  it("another account's voucher looks exactly like an unknown one (not_found), and stays untouched", async () => {
    const a = await h.customer();
    const b = await h.customer({ balanceUsd: 300 });
    const va = await issueVoucher(h, a.id, 50);
    const res = await refused({ product: 'residential', gb: 5, vouchers: [va] }, b.key, 'not_found', va);
    expect(res.json().error.message).toBe(`No such voucher: ${va}`);
    expect(await vouchers(a.key)).toEqual({ [va]: { remaining_usd: 50, status: 'active' } });
  });

  it('an expired voucher: reason expired', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const now = await h.clock.now();
    const v = await issueVoucher(h, c.id, 10, {
      expires_at: new Date(now.getTime() + 3600_000).toISOString(),
    });
    await h.clock.advance(3601);
    await refused({ product: 'residential', gb: 5, vouchers: [v] }, c.key, 'expired', v);
    expect(await balanceOf(h, c.key)).toBe(300);
  });

  it('a used-up voucher: reason used_up', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const v = await issueVoucher(h, c.id, 4.5);
    expect((await order(c.key, { product: 'residential', gb: 1, vouchers: [v] })).statusCode).toBe(200);
    const res = await order(c.key, { product: 'residential', gb: 1, vouchers: [v] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'voucher_invalid', reason: 'used_up', voucher: v });
    expect(await orderCount(h, c.key)).toBe(1);
  });

  it('a voucher for other products: reason product_mismatch', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const v = await issueVoucher(h, c.id, 10, { products: ['isp'] });
    await refused({ product: 'residential', gb: 5, vouchers: [v] }, c.key, 'product_mismatch', v);
  });

  it('a voucher named twice: reason duplicate', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const v = await issueVoucher(h, c.id, 10);
    await refused({ product: 'residential', gb: 5, vouchers: [v, v] }, c.key, 'duplicate', v);
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 10, status: 'active' } });
  });

  it('more than 10 vouchers, or a voucher that is not a string, is 400 invalid_request', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const eleven = Array.from({ length: 11 }, (_, i) => `vch_${i}`);
    for (const vs of [eleven, [1], 'vch_x', [''], null]) {
      const res = await order(c.key, { product: 'residential', gb: 5, vouchers: vs });
      expect(res.statusCode, JSON.stringify(vs)).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    expect(await orderCount(h, c.key)).toBe(0);
  });
});

describe('two orders racing for the same voucher', () => {
  it("10 concurrent orders for a voucher's last 5.00: exactly one gets it, the others 422 used_up", async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const v = await issueVoucher(h, c.id, 5);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => order(c.key, { product: 'residential', gb: 5, vouchers: [v] })),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes).toEqual([200, 422, 422, 422, 422, 422, 422, 422, 422, 422]);
    for (const r of results.filter((x) => x.statusCode === 422)) {
      expect(r.json().error).toMatchObject({ code: 'voucher_invalid', reason: 'used_up' });
    }
    const won = results.find((r) => r.statusCode === 200)!.json();
    expect(won).toMatchObject({ voucher_usd: 5, total_usd: 17.5 });
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 0, status: 'used_up' } });
    const spent = await h.db.query<{ n: number }>(
      `SELECT count(*)::int8 AS n FROM ledger_entries WHERE asset = $1 AND cause = 'order'`,
      [`voucher:${v}`],
    );
    expect(spent[0]!.n).toBe(1);
    expect(await balanceOf(h, c.key)).toBe(1000 - 17.5);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('quotes and ISP orders with vouchers', () => {
  it('a quote shows the voucher deduction and the split, taking nothing', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const v = await issueVoucher(h, c.id, 10);
    const res = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'residential', gb: 50, vouchers: [v] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      object: 'order_quote',
      voucher_usd: 10,
      total_usd: 215,
      payment: { from_voucher_usd: 10, from_balance_usd: 100, from_card_usd: 115 },
    });
    expect(res.json().checks.map((x: { code: string }) => x.code)).toEqual(['insufficient_balance']);
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 10, status: 'active' } });
    const bad = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'residential', gb: 50, vouchers: ['vch_nope'] },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.reason).toBe('not_found');
  });

  it('an ISP order of 120.00 with a 50.00 ISP voucher: balance pays 70.00, order.paid raised in the paying transaction', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const hook = await h.call('POST', '/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/hooks' },
    });
    expect(hook.statusCode, hook.body).toBe(200);
    const v = await issueVoucher(h, c.id, 50, { products: ['isp'] });
    const res = await order(c.key, { ...NEWYORK_20, vouchers: [v] });
    expect(res.statusCode, res.body).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ status: 'provisioning', voucher_usd: 50, total_usd: 70, paid_usd: 70 });
    expect(await balanceOf(h, c.key)).toBe(30);
    expect(await voucherEntries(o.id)).toEqual([
      { asset: `voucher:${v}`, amount: -5000, cause: 'order', order_id: o.id },
    ]);
    const events = await h.db.query<{ type: string }>(
      `SELECT type FROM events WHERE account_id = $1 AND data->>'id' = $2`,
      [c.id, o.id],
    );
    expect(events.map((e) => e.type)).toEqual(['order.paid']);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('ISP orders paid by card with vouchers', () => {
  it('a 120.00 ISP order, voucher 20.00, no balance: the card pays 100.00, settled with the voucher spent', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
    const c = await customerWithCard(h, { kyc: true });
    const v = await issueVoucher(h, c.id, 20);
    const res = await order(c.key, { ...NEWYORK_20, vouchers: [v] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'provisioning',
      voucher_usd: 20,
      total_usd: 100,
      paid_usd: 100,
    });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await vouchers(c.key)).toEqual({ [v]: { remaining_usd: 0, status: 'used_up' } });
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
