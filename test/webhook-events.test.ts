/**
 * The webhook events beyond bandwidth orders (SPEC §1, §5, §6), each emitted in
 * the transaction of its cause and checked at a real HTTP receiver that verifies the signature:
 * isp_batch.ready (+ order.completed), isp_batch.expiring / isp_batch.expired, inventory.available,
 * payment.failed, and order.paid / order.completed of renew and replacement-fee orders. Every
 * `data.object` is compared with what the API shows for the same object.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.ts';
import { provisionIspBatch } from '../src/app/isp/provision-isp-batch.ts';
import { sweepIspExpiry } from '../src/app/isp/sweep-isp-expiry.ts';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';
import {
  type Received,
  type Receiver,
  receiverPool,
  runDeliverWebhooks,
  subscribe,
} from './support/webhook-receiver.ts';

let h: Harness;
const pool = receiverPool();
beforeAll(async () => {
  h = await harness();
  await schedulePeriodic(h.deps, { isp_expiry_sweep: jobKinds.isp_expiry_sweep! });
});
afterEach(async () => {
  expect(await h.ledgerMismatches()).toEqual([]);
});
afterAll(async () => {
  await pool.closeAll();
  await h?.close();
});

const DAY_MS = 86_400_000;
const DECLINED = '4000000000000002';
const NO_FUNDS = '4000000000009995';
const SEED = { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 };

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode).toBe(200);
}

async function advanceTo(at: Date) {
  await advance((at.getTime() - (await h.clock.now()).getTime()) / 1000);
  expect((await h.clock.now()).toISOString()).toBe(at.toISOString());
}

/** A customer whose endpoint (on a fresh receiver) gets `events`. */
async function listener(events: string[], opts: { balanceUsd?: number; kyc?: boolean } = {}) {
  const c = await h.customer(opts);
  const r = await pool.receiver();
  await subscribe(h, c.key, r, events);
  return { ...c, r };
}

async function addCard(key: string, number: string) {
  const pm = await h.call('POST', '/v1/payment-methods', {
    key,
    body: { card: { number, exp_month: 12, exp_year: 2030, cvc: '123' } },
  });
  expect(pm.statusCode).toBe(200);
}

/** Delivers what is due and returns what the receiver got since `from`, each checked signed. */
async function delivered(r: Receiver, from = 0): Promise<Received[]> {
  await runDeliverWebhooks(h.deps);
  const got = r.got.slice(from);
  for (const g of got) {
    expect(g.verified, `signature of ${g.event.type}`).toBe(true);
    expect(g.headers['orderdesk-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(g.event.object).toBe('event');
    expect(g.event.id).toMatch(/^evt_[0-9A-Z]{26}$/);
  }
  return got;
}

async function get(key: string, path: string) {
  const res = await h.call('GET', path, { key });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** The batch as GET /v1/isp/batches/{id} shows it, without the password events leave out. */
async function getBatch(key: string, id: string) {
  const { password: _password, ...batch } = await get(key, `/v1/isp/batches/${id}`);
  return batch;
}

/** The order as GET /v1/orders/{id} shows it, without its state history. */
async function getOrder(key: string, id: string) {
  const { events: _events, ...order } = await get(key, `/v1/orders/${id}`);
  return order;
}

/** Places the seed ISP order (20 IPs, 120.00); its batch is provisioning. */
async function placeSeed(key: string) {
  await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
  const res = await h.call('POST', '/v1/orders', { key, body: SEED });
  expect(res.statusCode).toBe(200);
  expect(res.json()).toMatchObject({ status: 'provisioning', total_usd: 120 });
  return { orderId: res.json().id as string, batchId: res.json().details.batch_id as string };
}

/** The seed batch, ready (the provisioning job runs within 10 minutes). */
async function readySeed(key: string) {
  const placed = await placeSeed(key);
  await advance(600);
  const b = await get(key, `/v1/isp/batches/${placed.batchId}`);
  expect(b.status).toBe('ready');
  return { ...placed, expiresAt: new Date(b.expires_at) };
}

describe('isp_batch.ready and order.completed (SPEC §6 provisioning)', () => {
  it('isp_batch.ready: the provisioner finishing the seed batch sends the batch and its completed order, signed', async () => {
    const c = await listener(['isp_batch.ready', 'order.completed'], { balanceUsd: 500, kyc: true });
    const placedAt = await h.clock.now();
    const { orderId, batchId } = await placeSeed(c.key);
    expect(await delivered(c.r)).toEqual([]); // provisioning: nothing yet

    await advance(600);
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.type)).toEqual(['isp_batch.ready', 'order.completed']);
    const readyAt = new Date(placedAt.getTime() + 120_000).toISOString(); // the T1 delay
    for (const g of got) expect(g.event).toMatchObject({ account_id: c.id, created_at: readyAt });

    const batch = got[0]!.event.data.object;
    expect(batch).toEqual(await getBatch(c.key, batchId));
    expect(batch).toMatchObject({
      object: 'isp_batch',
      status: 'ready',
      order_id: orderId,
      ready_at: readyAt,
    });
    const order = got[1]!.event.data.object;
    expect(order).toEqual(await getOrder(c.key, orderId));
    expect(order).toMatchObject({
      object: 'order',
      status: 'completed',
      payment_status: 'paid',
      total_usd: 120,
    });
    expect(got[1]!.raw).toMatch(/"total_usd": ?120\.00/);
  });

  it('race: two provisioning runs of one batch at once make it ready once, with one event of each type', async () => {
    const c = await listener(['isp_batch.ready', 'order.completed'], { balanceUsd: 500, kyc: true });
    const { batchId } = await placeSeed(c.key);
    await h.clock.advance(120); // due, but the job has not run
    const runs = await Promise.all([
      provisionIspBatch(h.deps, { batchId }),
      provisionIspBatch(h.deps, { batchId }),
    ]);
    const outcomes = runs.map((r) => (r.ok ? r.value.outcome : r.error.code)).sort();
    expect(outcomes).toEqual(['ready', 'skipped']);
    await advance(600); // the job itself now finds nothing to do
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.type)).toEqual(['isp_batch.ready', 'order.completed']);
  });

  it('order.completed: a provisioning batch released by the customer completes its order', async () => {
    const c = await listener(['order.completed'], { balanceUsd: 500, kyc: true });
    const { orderId, batchId } = await placeSeed(c.key);
    const del = await h.call('DELETE', `/v1/isp/batches/${batchId}`, { key: c.key });
    expect(del.statusCode).toBe(200);
    const got = await delivered(c.r);
    // the zero-amount unsubscribe order raises none
    expect(got.map((g) => [g.event.type, g.event.data.object.id])).toEqual([['order.completed', orderId]]);
    expect(got[0]!.event.data.object).toEqual(await getOrder(c.key, orderId));
    await advance(600); // the provisioning job skips the released batch: nothing more
    expect(await delivered(c.r, 1)).toEqual([]);
  });
});

describe('isp_batch.expiring and isp_batch.expired (SPEC §6 expiry)', () => {
  it('isp_batch.expiring at expires_at − 7 d and − 1 d (once each), isp_batch.expired at expires_at', async () => {
    const c = await listener(['isp_batch.expiring', 'isp_batch.expired'], { balanceUsd: 500, kyc: true });
    const { batchId, expiresAt } = await readySeed(c.key);
    const remind7 = new Date(expiresAt.getTime() - 7 * DAY_MS);
    const remind1 = new Date(expiresAt.getTime() - DAY_MS);

    await advanceTo(new Date(remind7.getTime() - 60_000));
    expect(await delivered(c.r)).toEqual([]);
    await advance(60);
    let got = await delivered(c.r);
    expect(got.map((g) => [g.event.type, g.event.created_at])).toEqual([
      ['isp_batch.expiring', remind7.toISOString()],
    ]);
    expect(got[0]!.event.data.object).toEqual(await getBatch(c.key, batchId));
    expect(got[0]!.event.data.object).toMatchObject({ status: 'ready', expires_at: expiresAt.toISOString() });

    await advanceTo(remind1);
    got = await delivered(c.r, 1);
    expect(got.map((g) => [g.event.type, g.event.created_at])).toEqual([
      ['isp_batch.expiring', remind1.toISOString()],
    ]);

    await advanceTo(expiresAt);
    got = await delivered(c.r, 2);
    expect(got.map((g) => [g.event.type, g.event.created_at])).toEqual([
      ['isp_batch.expired', expiresAt.toISOString()],
    ]);
    const expired = got[0]!.event.data.object;
    expect(expired).toEqual(await getBatch(c.key, batchId));
    expect(expired).toMatchObject({
      status: 'expired',
      grace_until: new Date(expiresAt.getTime() + 72 * 3_600_000).toISOString(),
    });
    // nothing more, through the grace period and the release
    await advance(73 * 3600);
    expect(await delivered(c.r, 3)).toEqual([]);
  });

  it('race: two expiry sweeps at once send one reminder event and one expired event', async () => {
    const c = await listener(['isp_batch.expiring', 'isp_batch.expired'], { balanceUsd: 500, kyc: true });
    const { expiresAt } = await readySeed(c.key);
    await h.clock.advance((expiresAt.getTime() - 7 * DAY_MS - (await h.clock.now()).getTime()) / 1000);
    await Promise.all([sweepIspExpiry(h.deps), sweepIspExpiry(h.deps)]);
    await h.clock.advance(7 * 24 * 3600);
    await Promise.all([sweepIspExpiry(h.deps), sweepIspExpiry(h.deps)]);
    const got = await delivered(c.r);
    // the 1-day reminder was skipped: the expiry came first in the same sweep (as designed)
    expect(got.map((g) => g.event.type)).toEqual(['isp_batch.expiring', 'isp_batch.expired']);
  });
});

describe('order.paid and order.completed of ISP renew and replacement orders', () => {
  it('order.paid: a renew order (120.00) sends order.paid and order.completed with the order the API returned', async () => {
    const c = await listener(['order.paid', 'order.completed'], { balanceUsd: 500, kyc: true });
    const { batchId } = await readySeed(c.key);
    const seen = (await delivered(c.r)).length; // the ISP order's own events, whoever emits them
    const res = await h.call('POST', `/v1/isp/batches/${batchId}/renew`, { key: c.key, body: { months: 1 } });
    expect(res.statusCode).toBe(200);
    const renew = res.json();
    expect(renew).toMatchObject({
      type: 'renew',
      status: 'completed',
      payment_status: 'paid',
      total_usd: 120,
    });
    const got = await delivered(c.r, seen);
    expect(got.map((g) => g.event.type)).toEqual(['order.paid', 'order.completed']);
    for (const g of got) {
      expect(g.event.data.object).toEqual(renew);
      expect(g.event.data.object).toEqual(await getOrder(c.key, renew.id));
      expect(g.raw).toMatch(/"total_usd": ?120\.00/);
    }
    // a renewal refused (bad months) raises nothing
    const bad = await h.call('POST', `/v1/isp/batches/${batchId}/renew`, { key: c.key, body: { months: 2 } });
    expect(bad.statusCode).toBe(400);
    expect(await delivered(c.r, seen + 2)).toEqual([]);
  });

  it('order.paid: the auto-renewal a day before expiry sends the renew order', async () => {
    const c = await listener(['order.paid'], { balanceUsd: 500, kyc: true });
    const { batchId, expiresAt } = await readySeed(c.key);
    const seen = (await delivered(c.r)).length;
    const patch = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { auto_renew: true },
    });
    expect(patch.statusCode).toBe(200);
    const at = new Date(expiresAt.getTime() - DAY_MS);
    await advanceTo(at);
    const got = await delivered(c.r, seen);
    expect(got.map((g) => [g.event.type, g.event.created_at])).toEqual([['order.paid', at.toISOString()]]);
    expect(got[0]!.event.data.object).toMatchObject({
      type: 'renew',
      total_usd: 120,
      details: { batch_id: batchId, auto_renew: true },
    });
  });

  it('order.paid: a replacement beyond the free quota (accept_charge) sends its 1.00 change order; free ones send none', async () => {
    const c = await listener(['order.paid', 'order.completed'], { balanceUsd: 500, kyc: true });
    const { batchId } = await readySeed(c.key);
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 5 });
    const seen = (await delivered(c.r)).length;
    await advance(15 * 24 * 3600); // past the 14 free days: 2 free (10% of 20) this period
    const ips = (await get(c.key, `/v1/isp/batches/${batchId}/ips?format=json`)) as { id: string }[];
    for (const ip of ips.slice(0, 2)) {
      const free = await h.call('POST', `/v1/isp/ips/${ip.id}/replace`, {
        key: c.key,
        body: { reason: 'slow' },
      });
      expect(free.statusCode).toBe(200);
      expect(free.json()).toMatchObject({ free: true, order_id: null });
    }
    expect(await delivered(c.r, seen)).toEqual([]);
    const paid = await h.call('POST', `/v1/isp/ips/${ips[2]!.id}/replace`, {
      key: c.key,
      body: { reason: 'blocked', accept_charge: true },
    });
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({ free: false, charge_usd: 1 });
    const orderId = paid.json().order_id as string;
    const got = await delivered(c.r, seen);
    expect(got.map((g) => [g.event.type, g.event.data.object.id])).toEqual([
      ['order.paid', orderId],
      ['order.completed', orderId],
    ]);
    expect(got[0]!.event.data.object).toEqual(await getOrder(c.key, orderId));
    expect(got[0]!.event.data.object).toMatchObject({ type: 'change', total_usd: 1, paid_usd: 1 });
    expect(got[0]!.raw).toMatch(/"total_usd": ?1\.00/);
  });
});

describe('inventory.available (SPEC §6 stock alerts)', () => {
  let next = 0;
  async function importStock(n: number, country: string, city: string, asn: number) {
    const ips = Array.from({ length: n }, () => {
      next += 1;
      return { ip: `198.51.${(next >> 8) & 255}.${next & 255}`, port: 3128, country, city, asn };
    });
    const res = await h.call('POST', '/admin/v1/inventory/import', { admin: true, body: { ips } });
    expect(res.statusCode).toBe(200);
    expect(res.json().imported).toBe(n);
  }

  it('inventory.available: an alert firing on an import sends the alert as GET /v1/alerts/{id} shows it', async () => {
    const c = await listener(['inventory.available']);
    const other = await listener(['inventory.available']);
    const res = await h.call('POST', '/v1/alerts', {
      key: c.key,
      body: { country: 'de', city: 'frankfurt', asn: 3320, minimum: 5 },
    });
    expect(res.statusCode).toBe(200);
    const alertId = res.json().id as string;
    await importStock(4, 'de', 'frankfurt', 3320);
    expect(await delivered(c.r)).toEqual([]); // below the minimum
    const t = await h.clock.now();
    await importStock(1, 'de', 'frankfurt', 3320);
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.type)).toEqual(['inventory.available']);
    expect(got[0]!.event).toMatchObject({ account_id: c.id, created_at: t.toISOString() });
    const alert = got[0]!.event.data.object;
    expect(alert).toEqual(await get(c.key, `/v1/alerts/${alertId}`));
    expect(alert).toMatchObject({
      id: alertId,
      object: 'stock_alert',
      armed: false,
      available: 5,
      minimum: 5,
      last_fired_at: t.toISOString(),
    });
    // fires once: more stock sends nothing; another account's endpoint never sees it
    await importStock(3, 'de', 'frankfurt', 3320);
    expect(await delivered(c.r, 1)).toEqual([]);
    expect(await delivered(other.r)).toEqual([]);
  });

  it('inventory.available: an alert whose minimum is already met fires at creation', async () => {
    const c = await listener(['inventory.available']);
    await importStock(2, 'nl', 'amsterdam', 1136);
    const res = await h.call('POST', '/v1/alerts', { key: c.key, body: { country: 'nl', minimum: 2 } });
    expect(res.statusCode).toBe(200);
    const got = await delivered(c.r);
    expect(got.map((g) => [g.event.type, g.event.data.object.id])).toEqual([
      ['inventory.available', res.json().id],
    ]);
    expect(got[0]!.event.data.object).toMatchObject({ armed: false, available: 2, city: null, asn: null });
  });

  it('race: 10 concurrent imports reaching the minimum send exactly one inventory.available', async () => {
    const c = await listener(['inventory.available']);
    const res = await h.call('POST', '/v1/alerts', { key: c.key, body: { country: 'fr', minimum: 10 } });
    expect(res.statusCode).toBe(200);
    await Promise.all(Array.from({ length: 10 }, () => importStock(1, 'fr', 'paris', 3215)));
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.type)).toEqual(['inventory.available']);
    expect(got[0]!.event.data.object).toMatchObject({ id: res.json().id, armed: false });
  });
});

describe('payment.failed (SPEC §5)', () => {
  it('payment.failed: a declined card on a pay-now order sends the failed payment; the order is not created', async () => {
    const c = await listener(['payment.failed', 'order.paid']);
    await addCard(c.key, DECLINED);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('insufficient_balance');
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.type)).toEqual(['payment.failed']);
    const p = got[0]!.event.data.object;
    expect(p).toMatchObject({
      object: 'payment',
      purpose: 'order',
      amount_usd: 225,
      status: 'failed',
      failure_code: 'card_declined',
      failure_message: expect.any(String),
    });
    expect(p.id).toMatch(/^pay_/);
    expect(p.order_id).toMatch(/^ord_/);
    expect(p.payment_method).toMatch(/^pm_/);
    expect(got[0]!.raw).toMatch(/"amount_usd": ?225\.00/);
    // nothing else stays: the order it would have paid does not exist
    expect((await h.call('GET', `/v1/orders/${p.order_id}`, { key: c.key })).statusCode).toBe(404);
    expect((await get(c.key, '/v1/account')).balance_usd).toBe(0);
  });

  it('payment.failed: a 40.00 top-up declined for insufficient funds sends the failed top_up payment', async () => {
    const c = await listener(['payment.failed'], { balanceUsd: 10 });
    await addCard(c.key, NO_FUNDS);
    const res = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 40 } });
    expect(res.statusCode).toBe(409);
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.data.object)).toMatchObject([
      {
        purpose: 'top_up',
        order_id: null,
        amount_usd: 40,
        status: 'failed',
        failure_code: 'insufficient_funds',
      },
    ]);
    expect((await get(c.key, '/v1/account')).balance_usd).toBe(10);
  });

  it('payment.failed: a card declined on auto-renew sends the failed 120.00 payment of the renew order', async () => {
    const c = await listener(['payment.failed', 'order.paid'], { balanceUsd: 120, kyc: true });
    const { batchId, expiresAt } = await readySeed(c.key);
    await addCard(c.key, DECLINED);
    const seen = (await delivered(c.r)).length;
    await h.call('PATCH', `/v1/isp/batches/${batchId}`, { key: c.key, body: { auto_renew: true } });
    const at = new Date(expiresAt.getTime() - DAY_MS);
    await advanceTo(at);
    const got = await delivered(c.r, seen);
    expect(got.map((g) => [g.event.type, g.event.created_at])).toEqual([
      ['payment.failed', at.toISOString()],
    ]);
    expect(got[0]!.event.data.object).toMatchObject({
      purpose: 'order',
      amount_usd: 120,
      status: 'failed',
      failure_code: 'card_declined',
    });
  });

  it('payment.failed: recovery marking a payment failed (declined, the process died before recording it) sends it', async () => {
    const c = await listener(['payment.failed']);
    await addCard(c.key, DECLINED);
    // the gateway declines, then the process dies before recording it
    const gw = h.deps.gateway;
    const died = () => Promise.reject(new Error('process died after the gateway answered'));
    const dying: Deps = { ...h.deps, gateway: { ...gw, charge: (req) => gw.charge(req).then(died) } };
    await expect(
      placeOrder(dying, { accountId: c.id, input: { product: 'residential', gb: 10 } }),
    ).rejects.toThrow();
    expect(await delivered(c.r)).toEqual([]); // still processing: nothing known yet
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toMatchObject({ failed: 1 });
    const got = await delivered(c.r);
    expect(got.map((g) => g.event.data.object)).toMatchObject([
      { object: 'payment', amount_usd: 45, status: 'failed', failure_code: 'card_declined' },
    ]);
  });

  it('a successful card payment sends no payment.failed', async () => {
    const c = await listener(['payment.failed']);
    await addCard(c.key, '4242424242424242');
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } });
    expect(res.statusCode).toBe(200);
    expect(await delivered(c.r)).toEqual([]);
  });
});

describe('tenant isolation of the events', () => {
  it("another account's batch, alert and payment events never reach this account's endpoint", async () => {
    const a = await listener(['*'], { balanceUsd: 500, kyc: true });
    const b = await listener(['*'], { balanceUsd: 500, kyc: true });
    await readySeed(b.key);
    await addCard(b.key, DECLINED);
    const res = await h.call('POST', '/v1/orders', { key: b.key, body: { product: 'residential', gb: 200 } });
    expect(res.statusCode).toBe(409);
    const types = (await delivered(b.r)).map((g) => g.event.type);
    expect(types).toEqual(expect.arrayContaining(['isp_batch.ready', 'order.completed', 'payment.failed']));
    expect((await delivered(b.r)).every((g) => g.event.account_id === b.id)).toBe(true);
    expect(await delivered(a.r)).toEqual([]);
  });
});
