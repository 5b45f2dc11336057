/**
 * Pay later (SPEC §4, §5): `"pay": "later"` places a pending_payment order that
 * takes nothing (ISP: its IPs are held); POST /v1/orders/{id}/pay pays it from vouchers → balance →
 * card; POST /v1/orders/{id}/cancel cancels it; the system cancels it after 24 h (1 h when it holds
 * ISP stock). Paying and cancelling race for the order's lock: exactly one wins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelDueUnpaidOrders } from '../src/app/orders/cancel-unpaid-order.ts';
import { payPendingOrder } from '../src/app/orders/pay-pending-order.ts';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { addCard, balanceOf, cardCharges } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, availableAt, batchIps, batchRow, jobsFor } from './support/isp-stock.ts';
import { issueVoucher } from './support/vouchers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const LATER_50GB = { product: 'residential', gb: 50, pay: 'later' }; // 225.00

async function remaining(key: string, id: string): Promise<number> {
  const data = (await h.call('GET', '/v1/vouchers', { key })).json().data as {
    id: string;
    remaining_usd: number;
  }[];
  return data.find((v) => v.id === id)!.remaining_usd;
}

async function place(key: string, body: Record<string, unknown>) {
  const res = await h.call('POST', '/v1/orders', { key, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const pay = (key: string, id: string, body?: unknown, headers?: Record<string, string>) =>
  h.call('POST', `/v1/orders/${id}/pay`, {
    key,
    ...(body !== undefined ? { body } : {}),
    ...(headers ? { headers } : {}),
  });
const cancel = (key: string, id: string) => h.call('POST', `/v1/orders/${id}/cancel`, { key });
const get = async (key: string, id: string) => (await h.call('GET', `/v1/orders/${id}`, { key })).json();

async function pool(accountId: string, product: string): Promise<number> {
  const rows = await h.db.query<{ remaining_bytes: number }>(
    'SELECT remaining_bytes FROM traffic_pools WHERE account_id = $1 AND product = $2',
    [accountId, product],
  );
  return rows[0]?.remaining_bytes ?? 0;
}

async function events(accountId: string, orderId: string): Promise<string[]> {
  const rows = await h.db.query<{ type: string }>(
    `SELECT type FROM events WHERE account_id = $1 AND data->>'id' = $2 ORDER BY created_at, id`,
    [accountId, orderId],
  );
  return rows.map((r) => r.type);
}

async function withHook(key: string) {
  const hook = await h.call('POST', '/v1/webhook-endpoints', {
    key,
    body: { url: 'https://example.com/hooks' },
  });
  expect(hook.statusCode, hook.body).toBe(200);
}

async function heldBy(orderId: string): Promise<number> {
  const rows = await h.db.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM isp_ips WHERE status = 'held' AND held_by_order_id = $1`,
    [orderId],
  );
  return rows[0]!.n;
}

async function unpaidCancelAt(orderId: string): Promise<Date> {
  const rows = await h.db.query<{ at: Date }>('SELECT unpaid_cancel_at AS at FROM orders WHERE id = $1', [
    orderId,
  ]);
  return rows[0]!.at;
}

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode, res.body).toBe(200);
}

describe('pay later places a pending_payment order and takes nothing', () => {
  it('a bandwidth order with pay later is pending_payment (status, payment_status, lines), the balance untouched', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const now = await h.clock.now();
    const o = await place(c.key, LATER_50GB);
    expect(o).toMatchObject({
      status: 'pending_payment',
      payment_status: 'pending_payment',
      original_usd: 225,
      total_usd: 225,
      paid_usd: 0,
    });
    expect(o.line_items.map((l: { status: string }) => l.status)).toEqual(['pending_payment']);
    expect(await balanceOf(h, c.key)).toBe(300);
    expect(await pool(c.id, 'residential')).toBe(0);
    // cancelled by the system 24 h after it was placed, unless paid
    expect((await unpaidCancelAt(o.id)).getTime()).toBe(now.getTime() + 24 * 3600_000);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('/pay pays it from the balance: completed and paid, the pool credited, order.paid and order.completed raised', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    await withHook(c.key);
    const o = await place(c.key, LATER_50GB);
    const res = await pay(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'completed',
      payment_status: 'paid',
      total_usd: 225,
      paid_usd: 225,
    });
    expect(res.json().line_items[0]).toMatchObject({ status: 'paid', paid_usd: 225 });
    expect(await balanceOf(h, c.key)).toBe(75);
    expect(await pool(c.id, 'residential')).toBe(50_000_000_000);
    expect(await events(c.id, o.id)).toEqual(['order.paid', 'order.completed']);
    const detail = await get(c.key, o.id);
    expect(
      detail.events.map((e: { field: string; to: string; cause: string }) => [e.field, e.to, e.cause]),
    ).toEqual([
      ['status', 'pending_payment', 'placed, to be paid later'],
      ['payment_status', 'pending_payment', 'placed, to be paid later'],
      ['status', 'completed', 'paid later from balance'],
      ['payment_status', 'paid', 'paid later from balance'],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('/pay charges the default card for what the balance does not cover: balance 25.00 → card 200.00', async () => {
    const c = await h.customer({ balanceUsd: 25 });
    await addCard(h, c.key);
    const o = await place(c.key, LATER_50GB);
    const res = await pay(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'completed', payment_status: 'paid', paid_usd: 225 });
    const charges = await h.db.query<{ amount_cents: number }>(
      `SELECT c.amount_cents FROM sandbox_charges c JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1`,
      [c.id],
    );
    expect(charges).toEqual([{ amount_cents: 20000 }]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('/pay with a declined card is 409 insufficient_balance and the order stays pending_payment, nothing taken', async () => {
    const c = await h.customer({ balanceUsd: 25 });
    await addCard(h, c.key, '4000000000000002');
    const v = await issueVoucher(h, c.id, 10);
    const o = await place(c.key, { ...LATER_50GB, vouchers: [v] });
    const res = await pay(c.key, o.id);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'insufficient_balance', decline_code: 'card_declined' });
    expect(await get(c.key, o.id)).toMatchObject({
      status: 'pending_payment',
      payment_status: 'pending_payment',
    });
    expect(await balanceOf(h, c.key)).toBe(25);
    expect(await remaining(c.key, v)).toBe(10);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('vouchers named at placing are checked and shown, and spent only at /pay', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const v = await issueVoucher(h, c.id, 25);
    const o = await place(c.key, { ...LATER_50GB, vouchers: [v] });
    expect(o).toMatchObject({ voucher_usd: 25, total_usd: 200, paid_usd: 0 });
    expect(await remaining(c.key, v)).toBe(25);
    const bad = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { ...LATER_50GB, vouchers: ['vch_nope'] },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({
      code: 'voucher_invalid',
      reason: 'not_found',
      param: 'vouchers',
    });
    const res = await pay(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ voucher_usd: 25, total_usd: 200, paid_usd: 200 });
    expect(await remaining(c.key, v)).toBe(0);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('/pay may name other vouchers instead: those are spent and the amounts follow', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const first = await issueVoucher(h, c.id, 25);
    const other = await issueVoucher(h, c.id, 5);
    const o = await place(c.key, { ...LATER_50GB, vouchers: [first] });
    const res = await pay(c.key, o.id, { vouchers: [other] });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ voucher_usd: 5, total_usd: 220, paid_usd: 220 });
    expect(res.json().line_items[0]).toMatchObject({ voucher_usd: 5, payable_usd: 220, paid_usd: 220 });
    expect(await remaining(c.key, first)).toBe(25);
    expect(await remaining(c.key, other)).toBe(0);
    const dup = await place(c.key, LATER_50GB);
    const refused = await pay(c.key, dup.id, { vouchers: [first, first] });
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.reason).toBe('duplicate');
  });

  it('an Idempotency-Key on /pay replays the answer and charges once', async () => {
    const c = await h.customer();
    await addCard(h, c.key);
    const o = await place(c.key, LATER_50GB);
    const headers = { 'idempotency-key': `pay-${o.id}` };
    const a = await pay(c.key, o.id, undefined, headers);
    const b = await pay(c.key, o.id, undefined, headers);
    expect(a.statusCode, a.body).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.json()).toEqual(a.json());
    const charges = await h.db.query<{ amount_cents: number }>(
      `SELECT c.amount_cents FROM sandbox_charges c JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1`,
      [c.id],
    );
    expect(charges).toEqual([{ amount_cents: 22500 }]);
  });
});

describe('cancelling an unpaid order, and the illegal moves', () => {
  it('/cancel on a pending_payment order: cancelled and cancelled, order.cancelled raised, nothing taken', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    await withHook(c.key);
    const o = await place(c.key, LATER_50GB);
    const res = await cancel(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', payment_status: 'cancelled', paid_usd: 0 });
    expect(res.json().line_items[0].status).toBe('cancelled');
    expect(await events(c.id, o.id)).toEqual(['order.cancelled']);
    expect(await balanceOf(h, c.key)).toBe(300);
  });

  it('paying a cancelled order, paying a paid one, cancelling a paid bandwidth order: 409 invalid_state', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const cancelled = await place(c.key, LATER_50GB);
    expect((await cancel(c.key, cancelled.id)).statusCode).toBe(200);
    const p1 = await pay(c.key, cancelled.id);
    expect(p1.statusCode).toBe(409);
    expect(p1.json().error.code).toBe('invalid_state');
    expect((await cancel(c.key, cancelled.id)).json().error.code).toBe('invalid_state');
    const paid = await place(c.key, LATER_50GB);
    expect((await pay(c.key, paid.id)).statusCode).toBe(200);
    const p2 = await pay(c.key, paid.id);
    expect(p2.statusCode).toBe(409);
    expect(p2.json().error.code).toBe('invalid_state');
    const c2 = await cancel(c.key, paid.id);
    expect(c2.statusCode).toBe(409);
    expect(c2.json().error.code).toBe('invalid_state');
    const now = await place(c.key, { product: 'residential', gb: 1 });
    expect((await pay(c.key, now.id)).statusCode).toBe(409);
    expect(await balanceOf(h, c.key)).toBe(1000 - 225 - 4.5);
  });

  it("another account's order is 404 on /pay and /cancel, and stays as it was", async () => {
    const a = await h.customer({ balanceUsd: 300 });
    const b = await h.customer({ balanceUsd: 300 });
    const o = await place(a.key, LATER_50GB);
    for (const res of [await pay(b.key, o.id), await cancel(b.key, o.id)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await pay(b.key, 'ord_01J00000000000000000000000')).statusCode).toBe(404);
    expect(await get(a.key, o.id)).toMatchObject({ payment_status: 'pending_payment' });
    expect(await balanceOf(h, b.key)).toBe(300);
  });

  it('/pay with a bad body is 400 invalid_request', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const o = await place(c.key, LATER_50GB);
    for (const body of [
      { vouchers: 'x' },
      { extra: 1 },
      { vouchers: Array.from({ length: 11 }, (_, i) => `v${i}`) },
    ]) {
      const res = await pay(c.key, o.id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('ISP orders with pay later hold their IPs', () => {
  it('holds 20 IPs for the order (isp_ips held), due in 1 h; /pay makes them the batch and provisions it', async () => {
    await addStock(h.db, { country: 'de', city: 'frankfurt', asn: 3320, count: 25 });
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    await withHook(c.key);
    const now = await h.clock.now();
    const o = await place(c.key, { product: 'isp', country: 'de', quantity: 20, pay: 'later' });
    expect(o).toMatchObject({ status: 'pending_payment', payment_status: 'pending_payment', paid_usd: 0 });
    expect(o.details.expires_at).toBeNull();
    expect(await heldBy(o.id)).toBe(20);
    expect(await availableAt(h.db, { country: 'de' })).toBe(5);
    expect(await balanceOf(h, c.key)).toBe(500);
    expect((await unpaidCancelAt(o.id)).getTime()).toBe(now.getTime() + 3600_000);
    // nobody else can take them meanwhile
    const other = await h.customer({ balanceUsd: 500, kyc: true });
    const short = await h.call('POST', '/v1/orders', {
      key: other.key,
      body: { product: 'isp', country: 'de', quantity: 10 },
    });
    expect(short.statusCode).toBe(422);
    expect(short.json().error.code).toBe('insufficient_inventory');

    const res = await pay(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    const paid = res.json();
    expect(paid).toMatchObject({ status: 'provisioning', payment_status: 'paid', paid_usd: o.total_usd });
    // the batch's month starts when it is paid
    const paidAt = await h.clock.now();
    const month = new Date(paidAt);
    month.setUTCMonth(month.getUTCMonth() + 1);
    expect(paid.details.expires_at).toBe(month.toISOString());
    expect(paid.line_items[0]).toMatchObject({
      status: 'paid',
      starts_at: paidAt.toISOString(),
      ends_at: month.toISOString(),
    });
    expect(await balanceOf(h, c.key)).toBe(500 - o.total_usd);
    expect(await heldBy(o.id)).toBe(0);
    const batch = await batchRow(h.db, o.details.batch_id);
    expect(batch).toMatchObject({ order_id: o.id, status: 'provisioning', quantity: 20, expires_at: month });
    expect((await batchIps(h.db, o.details.batch_id)).length).toBe(20);
    expect(await jobsFor(h.db, 'provision_isp_batch', { batch_id: o.details.batch_id })).toHaveLength(1);
    expect(await events(c.id, o.id)).toEqual(['order.paid']);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('pay later with on_shortage wait is 400 invalid_request; short stock is 422 insufficient_inventory', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const wait = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'fr', quantity: 5, on_shortage: 'wait', pay: 'later' },
    });
    expect(wait.statusCode).toBe(400);
    expect(wait.json().error).toMatchObject({ code: 'invalid_request', param: 'on_shortage' });
    const short = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'fr', quantity: 5, pay: 'later' },
    });
    expect(short.statusCode).toBe(422);
    expect(short.json().error.code).toBe('insufficient_inventory');
    expect((await h.call('GET', '/v1/orders', { key: c.key })).json().data).toEqual([]);
  });

  it('/cancel releases the held IPs to stock', async () => {
    await addStock(h.db, { country: 'nl', city: 'amsterdam', asn: 1136, count: 5 });
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const o = await place(c.key, { product: 'isp', country: 'nl', quantity: 5, pay: 'later' });
    expect(await availableAt(h.db, { country: 'nl' })).toBe(0);
    const res = await cancel(c.key, o.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
    expect(await availableAt(h.db, { country: 'nl' })).toBe(5);
    expect(await heldBy(o.id)).toBe(0);
  });
});

describe('unpaid orders are cancelled automatically', () => {
  it('an ISP order not paid within 1 h: still pending at 59 min, cancelled at 61 min with its IPs back in stock', async () => {
    await addStock(h.db, { country: 'se', city: 'stockholm', asn: 3301, count: 5 });
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const o = await place(c.key, { product: 'isp', country: 'se', quantity: 5, pay: 'later' });
    const b = await place(c.key, LATER_50GB);
    await advance(59 * 60);
    expect(await get(c.key, o.id)).toMatchObject({
      status: 'pending_payment',
      payment_status: 'pending_payment',
    });
    expect(await availableAt(h.db, { country: 'se' })).toBe(0);
    await advance(2 * 60);
    const cancelled = await get(c.key, o.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
    expect(cancelled.events.at(-1).cause).toBe('not paid within 1 h');
    expect(await availableAt(h.db, { country: 'se' })).toBe(5);
    // the bandwidth order has 24 h
    expect(await get(c.key, b.id)).toMatchObject({ payment_status: 'pending_payment' });
    await advance(23 * 3600);
    const late = await get(c.key, b.id);
    expect(late).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
    expect(late.events.at(-1).cause).toBe('not paid within 24 h');
    expect(await balanceOf(h, c.key)).toBe(500);
  });
});

describe('paying and cancelling the same order at once: exactly one wins', () => {
  it('20 pairs of /pay and /cancel: each order paid or cancelled, the loser 409 invalid_state; money and stock consistent', async () => {
    await addStock(h.db, { country: 'jp', city: 'tokyo', asn: 2516, count: 100 });
    const c = await h.customer({ balanceUsd: 5000, kyc: true });
    const orders: { id: string; product: string }[] = [];
    for (let i = 0; i < 10; i++)
      orders.push(await place(c.key, { product: 'residential', gb: 1, pay: 'later' }));
    for (let i = 0; i < 10; i++)
      orders.push(await place(c.key, { product: 'isp', country: 'jp', quantity: 5, pay: 'later' }));
    const results = await Promise.all(
      orders.map((o) => Promise.all([pay(c.key, o.id), cancel(c.key, o.id)])),
    );
    let paidCents = 0;
    for (const [i, [p, x]] of results.entries()) {
      const codes = [p.statusCode, x.statusCode].sort();
      expect(codes, `${p.body} ${x.body}`).toEqual([200, 409]);
      const loser = p.statusCode === 409 ? p : x;
      expect(loser.json().error.code).toBe('invalid_state');
      const o = await get(c.key, orders[i]!.id);
      if (p.statusCode === 200) {
        expect(o.payment_status).toBe('paid');
        paidCents += Math.round(o.total_usd * 100);
        if (o.product === 'isp') expect((await batchIps(h.db, o.details.batch_id)).length).toBe(5);
      } else {
        expect(o).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
      }
      expect(await heldBy(o.id)).toBe(0);
    }
    expect(Math.round((await balanceOf(h, c.key)) * 100)).toBe(500_000 - paidCents);
    const paidIsp = results.filter(([p], i) => p.statusCode === 200 && orders[i]!.product === 'isp').length;
    expect(await availableAt(h.db, { country: 'jp' })).toBe(100 - 5 * paidIsp);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('/pay racing the auto-cancel job: exactly one wins per order', async () => {
    const c = await h.customer({ balanceUsd: 5000 });
    const orders: { id: string; product: string }[] = [];
    for (let i = 0; i < 10; i++)
      orders.push(await place(c.key, { product: 'residential', gb: 1, pay: 'later' }));
    // past the deadline, before the job has run
    await h.clock.advance(24 * 3600 + 1);
    const results = await Promise.all(
      orders.map((o) => Promise.all([pay(c.key, o.id), cancelDueUnpaidOrders(h.deps)])),
    );
    let paid = 0;
    for (const [i, [p]] of results.entries()) {
      const o = await get(c.key, orders[i]!.id);
      if (p.statusCode === 200) {
        paid += 1;
        expect(o.payment_status).toBe('paid');
      } else {
        expect(p.json().error.code).toBe('invalid_state');
        expect(o).toMatchObject({ status: 'cancelled', payment_status: 'cancelled' });
      }
    }
    expect(await balanceOf(h, c.key)).toBe(5000 - 4.5 * paid);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('OpenAPI', () => {
  it('shows pay (now|later), vouchers and POST /v1/orders/{id}/pay', async () => {
    const doc = (await h.call('GET', '/openapi.json')).json();
    expect(doc.paths['/v1/orders/{id}/pay']?.post).toBeDefined();
    const text = JSON.stringify(doc.paths['/v1/orders'].post);
    expect(text).toContain('"later"');
    expect(text).toContain('vouchers');
  });
});

describe('the card part of /pay survives crashes and lost races', () => {
  it('a crash between the charge and the settlement: recovery pays the order from the draft, charged once', async () => {
    const c = await h.customer({ balanceUsd: 25 });
    await addCard(h, c.key);
    const v = await issueVoucher(h, c.id, 10);
    const o = await place(c.key, { ...LATER_50GB, vouchers: [v] });
    await expect(
      payPendingOrder(h.deps, {
        accountId: c.id,
        orderId: o.id,
        afterCharge: async () => {
          throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    expect(await get(c.key, o.id)).toMatchObject({ payment_status: 'pending_payment' });
    await h.clock.advance(31);
    const r = await recoverPayments(h.deps, { olderThanSeconds: 30 });
    expect(r.settled).toBeGreaterThanOrEqual(1);
    expect(await get(c.key, o.id)).toMatchObject({
      status: 'completed',
      payment_status: 'paid',
      voucher_usd: 10,
      paid_usd: 215,
    });
    expect(await remaining(c.key, v)).toBe(0);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await pool(c.id, 'residential')).toBe(50_000_000_000);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a card payment in flight reserves the order: a second /pay and a cancel get 409 request_in_progress, the deadline waits, one charge', async () => {
    const c = await h.customer();
    await addCard(h, c.key);
    const o = await place(c.key, LATER_50GB);
    const during: { statusCode: number; code: string }[] = [];
    const r = await payPendingOrder(h.deps, {
      accountId: c.id,
      orderId: o.id,
      afterCharge: async () => {
        const cancelKeyed = await h.call('POST', `/v1/orders/${o.id}/cancel`, {
          key: c.key,
          headers: { 'idempotency-key': `cancel-${o.id}` },
        });
        for (const res of [await pay(c.key, o.id), cancelKeyed]) {
          during.push({ statusCode: res.statusCode, code: res.json().error?.code });
        }
        // the system's deadline cancels nothing either while the payment is in flight
        await h.clock.advance(25 * 3600);
        expect(await cancelDueUnpaidOrders(h.deps)).toBe(0);
      },
    });
    expect(during).toEqual([
      { statusCode: 409, code: 'request_in_progress' },
      { statusCode: 409, code: 'request_in_progress' },
    ]);
    expect(r.ok).toBe(true);
    expect(await get(c.key, o.id)).toMatchObject({
      status: 'completed',
      payment_status: 'paid',
      paid_usd: 225,
    });
    expect(await pool(c.id, 'residential')).toBe(50_000_000_000);
    expect(await cardCharges(h, c.id)).toMatchObject([{ amount_cents: 22500, refunded_cents: 0 }]);
    // "retry later" was not stored under the key: the retry is answered afresh
    const again = await h.call('POST', `/v1/orders/${o.id}/cancel`, {
      key: c.key,
      headers: { 'idempotency-key': `cancel-${o.id}` },
    });
    expect(again.statusCode).toBe(409);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.json().error.code).toBe('invalid_state');
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('settling refused after the charge (account suspended meanwhile): the charge is refunded, the order stays unpaid', async () => {
    const c = await h.customer();
    await addCard(h, c.key);
    const o = await place(c.key, LATER_50GB);
    const r = await payPendingOrder(h.deps, {
      accountId: c.id,
      orderId: o.id,
      afterCharge: async () => {
        await h.db.query(`UPDATE accounts SET status = 'suspended' WHERE id = $1`, [c.id]);
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('account_suspended');
    const charges = await h.db.query<{ amount_cents: number; refunded_cents: number; status: string }>(
      `SELECT c.amount_cents, c.refunded_cents, p.status FROM sandbox_charges c
       JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1`,
      [c.id],
    );
    expect(charges).toEqual([{ amount_cents: 22500, refunded_cents: 22500, status: 'voided' }]);
    await h.db.query(`UPDATE accounts SET status = 'active' WHERE id = $1`, [c.id]);
    expect(await get(c.key, o.id)).toMatchObject({
      status: 'pending_payment',
      payment_status: 'pending_payment',
    });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
