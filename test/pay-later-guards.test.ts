/**
 * The guards of pay later (SPEC §4, §5) that a review found missing: amounts of an unpaid ISP order
 * at the spec's price, vouchers that expire or belong to someone else by the time the order is paid,
 * a cancelled order showing no voucher deduction, stock alerts when an unpaid order's held IPs come
 * back, the quote refusing what the order refuses, and order moves checked against the state tables.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelDueUnpaidOrders } from '../src/app/orders/cancel-unpaid-order.ts';
import { changeOrderState } from '../src/app/orders/change-order-state.ts';
import { lockOrder } from '../src/db/order-state.ts';
import { DomainFailure } from '../src/domain/errors.ts';
import { balanceOf, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, availableAt } from './support/isp-stock.ts';
import { issueVoucher } from './support/vouchers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

/** The spec's example: 20 ISP IPs in New York on ASN 7922 for a month = 120.00 (5.00 + 1.00 AS7922). */
const NY_20 = { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 };

async function place(key: string, body: Record<string, unknown>) {
  const res = await h.call('POST', '/v1/orders', { key, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const pay = (key: string, id: string, body?: unknown) =>
  h.call('POST', `/v1/orders/${id}/pay`, { key, ...(body !== undefined ? { body } : {}) });
const cancel = (key: string, id: string) => h.call('POST', `/v1/orders/${id}/cancel`, { key });
const get = async (key: string, id: string) => (await h.call('GET', `/v1/orders/${id}`, { key })).json();

async function voucherRemaining(accountId: string, id: string): Promise<number> {
  const rows = await h.db.query<{ remaining_cents: number }>(
    'SELECT remaining_cents FROM vouchers WHERE id = $1 AND account_id = $2',
    [id, accountId],
  );
  return rows[0]!.remaining_cents;
}

describe('pay later: amounts and vouchers', () => {
  it('an unpaid ISP order of the spec example is 120.00 and /pay takes exactly 120.00 from the balance', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const o = await place(c.key, { ...NY_20, pay: 'later' });
    expect(o).toMatchObject({
      status: 'pending_payment',
      payment_status: 'pending_payment',
      original_usd: 120,
      discount_usd: 0,
      voucher_usd: 0,
      total_usd: 120,
      paid_usd: 0,
    });
    expect(o.line_items[0]).toMatchObject({ quantity: 20, original_usd: 120, payable_usd: 120, paid_usd: 0 });
    const res = await pay(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ payment_status: 'paid', total_usd: 120, paid_usd: 120 });
    expect(res.json().line_items[0]).toMatchObject({ status: 'paid', payable_usd: 120, paid_usd: 120 });
    expect(await balanceOf(h, c.key)).toBe(80);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a voucher that expired between placement and /pay: 422 voucher_invalid, nothing taken, still payable', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const soon = new Date((await h.clock.now()).getTime() + 3_600_000).toISOString();
    const v = await issueVoucher(h, c.id, 10, { expires_at: soon });
    const o = await place(c.key, { product: 'residential', gb: 50, pay: 'later', vouchers: [v] });
    expect(o).toMatchObject({ voucher_usd: 10, total_usd: 215 });
    await h.clock.advance(2 * 3600);
    const res = await pay(c.key, o.id);
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('voucher_invalid');
    expect(await balanceOf(h, c.key)).toBe(300);
    expect(await voucherRemaining(c.id, v)).toBe(1000);
    expect(await get(c.key, o.id)).toMatchObject({ payment_status: 'pending_payment' });
    // paid without the expired voucher, it costs the full 225.00
    const paid = await pay(c.key, o.id, { vouchers: [] });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ voucher_usd: 0, total_usd: 225, paid_usd: 225 });
    expect(await balanceOf(h, c.key)).toBe(75);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it("/pay naming another account's voucher: 422 voucher_invalid, and that voucher untouched", async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const other = await h.customer();
    const foreign = await issueVoucher(h, other.id, 50);
    const o = await place(c.key, { product: 'residential', gb: 50, pay: 'later' });
    const res = await pay(c.key, o.id, { vouchers: [foreign] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('voucher_invalid');
    expect(await voucherRemaining(other.id, foreign)).toBe(5000);
    expect(await balanceOf(h, c.key)).toBe(300);
    expect(await get(c.key, o.id)).toMatchObject({ payment_status: 'pending_payment' });
  });

  it('a cancelled unpaid order shows no voucher deduction: the voucher was quoted, never spent', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const v = await issueVoucher(h, c.id, 10);
    const o = await place(c.key, { product: 'residential', gb: 50, pay: 'later', vouchers: [v] });
    expect(o).toMatchObject({ voucher_usd: 10, total_usd: 215 });
    const res = await cancel(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    const cancelled = await get(c.key, o.id);
    expect(cancelled).toMatchObject({
      status: 'cancelled',
      payment_status: 'cancelled',
      original_usd: 225,
      voucher_usd: 0,
      total_usd: 225,
      paid_usd: 0,
    });
    expect(cancelled.line_items[0]).toMatchObject({ status: 'cancelled', voucher_usd: 0, payable_usd: 225 });
    expect(await voucherRemaining(c.id, v)).toBe(1000);
    expect(await balanceOf(h, c.key)).toBe(300);
  });
});

describe('pay later: the deadline sweep', () => {
  it('an order whose card payment is stuck in flight does not keep the sweep from cancelling the others', async () => {
    const c = await customerWithCard(h, { balanceUsd: 10 });
    const stuck = await place(c.key, { product: 'residential', gb: 1, pay: 'later' });
    await h.clock.advance(60);
    const next = await place(c.key, { product: 'residential', gb: 1, pay: 'later' });
    // a payment left 'processing' for an operator (e.g. the gateway charged another amount)
    await h.db.query(
      `INSERT INTO payments (id, account_id, purpose, order_id, payment_method_id, gateway, amount_cents,
         status, draft, created_at, updated_at)
       SELECT 'pay_stuck_for_sweep', id, 'order', $2, default_payment_method_id, 'sandbox', 450, 'processing',
         '{}', $3, $3 FROM accounts WHERE id = $1`,
      [c.id, stuck.id, await h.clock.now()],
    );
    await h.clock.advance(25 * 3600);
    // one order per page until a page cancels nothing: the stuck one (due before `next`) must
    // not take the page forever
    let sweeps = 0;
    while ((await cancelDueUnpaidOrders(h.deps, 1)) > 0) sweeps += 1;
    expect(sweeps).toBeGreaterThanOrEqual(1);
    expect(await get(c.key, next.id)).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
    expect(await get(c.key, stuck.id)).toMatchObject({ payment_status: 'pending_payment' });
    await h.db.query(`DELETE FROM payments WHERE id = 'pay_stuck_for_sweep'`);
  });
});

describe('pay later: stock and quotes', () => {
  it('the held IPs of a cancelled unpaid order come back and fire a stock alert at its minimum', async () => {
    await addStock(h.db, { country: 'gb', city: 'london', asn: 2856, count: 12 });
    const watcher = await h.customer({ email: 'gb-watcher@example.com' });
    const alert = await h.call('POST', '/v1/alerts', {
      key: watcher.key,
      body: { country: 'gb', city: 'london', asn: 2856, minimum: 10 },
    });
    expect(alert.statusCode, alert.body).toBe(200);
    // the minimum is met at creation: fired once, disarmed
    expect(alert.json()).toMatchObject({ armed: false, available: 12 });
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const o = await place(c.key, { product: 'isp', country: 'gb', quantity: 8, pay: 'later' });
    expect(await availableAt(h.db, { country: 'gb' })).toBe(4);
    // taken below the minimum: the alert re-arms on the next evaluation (the cancel below)
    const res = await cancel(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(await availableAt(h.db, { country: 'gb' })).toBe(12);
    const mails = await h.db.query<{ subject: string }>(
      `SELECT subject FROM mail_outbox WHERE account_id = $1 AND kind = 'stock_alert' ORDER BY created_at, id`,
      [watcher.id],
    );
    expect(mails.map((m) => m.subject)).toEqual([
      'Stock alert: 12 ISP IPs available in gb / london / AS2856',
      'Stock alert: 12 ISP IPs available in gb / london / AS2856',
    ]);
  });

  it('the quote of a pay-later ISP order with on_shortage wait is refused as the order is: 400 invalid_request', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const body = { product: 'isp', country: 'us', quantity: 5, on_shortage: 'wait', pay: 'later' };
    const quote = await h.call('POST', '/v1/orders/quote', { key: c.key, body });
    const order = await h.call('POST', '/v1/orders', { key: c.key, body });
    expect(order.statusCode).toBe(400);
    expect(quote.statusCode).toBe(order.statusCode);
    expect(quote.json().error).toMatchObject({ code: 'invalid_request', param: 'on_shortage' });
    expect(order.json().error).toMatchObject({ code: 'invalid_request', param: 'on_shortage' });
    // pay now with wait is a fine quote
    const now = await h.call('POST', '/v1/orders/quote', { key: c.key, body: { ...body, pay: 'now' } });
    expect(now.statusCode, now.body).toBe(200);
  });
});

describe('order moves are checked against the state tables', () => {
  it('an illegal move (completed → pending_payment) is refused with invalid_state and nothing changes', async () => {
    const c = await h.customer({ balanceUsd: 10 });
    const o = await place(c.key, { product: 'residential', gb: 1 });
    const at = await h.clock.now();
    const attempt = h.db.tx(async (q) => {
      await lockOrder(q, o.id, c.id);
      await changeOrderState(q, o.id, { status: ['completed', 'pending_payment'], cause: 'test', at });
    });
    await expect(attempt).rejects.toBeInstanceOf(DomainFailure);
    await expect(attempt).rejects.toMatchObject({ error: { code: 'invalid_state' } });
    expect(await get(c.key, o.id)).toMatchObject({ status: 'completed', payment_status: 'paid' });
  });

  it('a legal move from a state the order is no longer in is refused and writes no event', async () => {
    const c = await h.customer({ balanceUsd: 10 });
    const o = await place(c.key, { product: 'residential', gb: 1, pay: 'later' });
    expect((await cancel(c.key, o.id)).statusCode).toBe(200);
    const at = await h.clock.now();
    // a writer that read pending_payment before the cancellation committed
    const attempt = h.db.tx(async (q) => {
      await lockOrder(q, o.id, c.id);
      await changeOrderState(q, o.id, {
        status: ['pending_payment', 'completed'],
        paymentStatus: ['pending_payment', 'paid'],
        lineStatus: 'paid',
        cause: 'stale writer',
        at,
      });
    });
    await expect(attempt).rejects.toMatchObject({ error: { code: 'invalid_state' } });
    const detail = await get(c.key, o.id);
    expect(detail).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
    expect(detail.line_items[0].status).toBe('cancelled');
    expect(JSON.stringify(detail.events ?? [])).not.toContain('stale writer');
  });
});
