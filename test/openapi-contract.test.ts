/**
 * The contract fixes of the public shapes (SPEC §1, §4): a pay-later order shows when it will be
 * cancelled, list filters refuse values they do not know, amounts are USD (no cents) and paid_usd
 * is the cash part everywhere.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const HOUR_MS = 3600 * 1000;

describe('cancel_at', () => {
  it('a pay-later order shows when it is cancelled if unpaid (24 h); once paid, and for pay-now orders, null', async () => {
    const c = await h.customer({ balanceUsd: 500 });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50, pay: 'later' },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const o = placed.json();
    expect(o.payment_status).toBe('pending_payment');
    expect(new Date(o.cancel_at).getTime() - new Date(o.created_at).getTime()).toBe(24 * HOUR_MS);
    expect((await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json().cancel_at).toBe(o.cancel_at);

    const paid = await h.call('POST', `/v1/orders/${o.id}/pay`, { key: c.key });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ payment_status: 'paid', cancel_at: null });

    const now = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } });
    expect(now.json().cancel_at).toBeNull();
  });

  it('an unpaid order holding ISP stock is cancelled after 1 h', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64_600, count: 5 });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 64_600, quantity: 5, pay: 'later' },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const o = placed.json();
    expect(new Date(o.cancel_at).getTime() - new Date(o.created_at).getTime()).toBe(HOUR_MS);
  });
});

describe('list filters', () => {
  it('GET /v1/orders?product=gold is 400 naming the parameter; a product of the catalog is a list', async () => {
    const c = await h.customer();
    const bad = await h.call('GET', '/v1/orders?product=gold', { key: c.key });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_request', param: 'product' });
    const ok = await h.call('GET', '/v1/orders?product=server', { key: c.key });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ object: 'list', data: [], has_more: false });
  });
});

describe('amounts', () => {
  it('a released batch’s unsubscribe order shows refund_usd 0.00, not cents', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64_601, count: 5 });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 64_601, quantity: 5 },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const released = await h.call('DELETE', `/v1/isp/batches/${placed.json().details.batch_id}`, {
      key: c.key,
    });
    expect(released.statusCode, released.body).toBe(200);
    const order = await h.call('GET', `/v1/orders/${released.json().unsubscribe_order_id}`, { key: c.key });
    expect(order.body).toContain('"refund_usd":0.00');
    expect(order.body).not.toMatch(/_cents"/);
  });

  it('paid_usd is the cash part on the order; the refund plan’s paid_total_usd adds the vouchers', async () => {
    const c = await h.customer({ balanceUsd: 500 });
    const voucher = await h.call('POST', `/admin/v1/accounts/${c.id}/vouchers`, {
      admin: true,
      body: { amount_usd: 25, expires_at: '2027-01-01T00:00:00Z' },
    });
    expect(voucher.statusCode, voucher.body).toBe(200);
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50, vouchers: [voucher.json().id] },
    });
    expect(placed.json()).toMatchObject({ total_usd: 200, voucher_usd: 25, paid_usd: 200 });
    const plan = await h.call('POST', `/admin/v1/orders/${placed.json().id}/refund`, {
      admin: true,
      body: { reason: 'checking', dry_run: true },
    });
    expect(plan.statusCode, plan.body).toBe(200);
    expect(plan.json()).toMatchObject({
      paid_total_usd: 225,
      paid_by_balance_usd: 200,
      paid_by_vouchers_usd: 25,
      formula: { paid_total: '0.00 card + 200.00 balance + 25.00 vouchers = 225.00' },
    });
    expect(plan.json().paid_usd).toBeUndefined();
  });
});
