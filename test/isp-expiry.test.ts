/**
 * ISP batch expiry and renewal (SPEC §6 Expiry, §9), driven by the
 * test clock (POST /admin/v1/clock/advance) with the periodic `isp_expiry_sweep` scheduled:
 * reminders 7 days and 1 day before expires_at (once each), expiry at expires_at, the IPs kept
 * (and renewable, the same IPs) for 72 h, then back in stock; auto-renew charged a day before;
 * a declined auto-renew mailed; the renew dry run; tenant isolation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renewBatch } from '../src/app/isp/renew-batch.ts';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { addCard, cardCharges } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, batchIps } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  await schedulePeriodic(h.deps, {
    isp_expiry_sweep: jobKinds.isp_expiry_sweep!,
    serve_isp_wait_queue: jobKinds.serve_isp_wait_queue!,
  });
});
afterAll(async () => {
  await h?.close();
});

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SEED = { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 };

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode).toBe(200);
}

/** Moves the clock to `at` (in the future). */
async function advanceTo(at: Date) {
  const now = await h.clock.now();
  await advance((at.getTime() - now.getTime()) / 1000);
  expect((await h.clock.now()).toISOString()).toBe(at.toISOString());
}

/** The seed batch for the customer, ready after 10 minutes; its expiry one month after ordering. */
async function seedBatch(key: string) {
  await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
  const t0 = await h.clock.now();
  const res = await h.call('POST', '/v1/orders', { key, body: SEED });
  expect(res.statusCode).toBe(200);
  expect(res.json().total_usd).toBe(120);
  await advance(600);
  const batchId = res.json().details.batch_id as string;
  const b = (await h.call('GET', `/v1/isp/batches/${batchId}`, { key })).json();
  expect(b.status).toBe('ready');
  const expiresAt = new Date(b.expires_at);
  const expected = new Date(t0);
  expected.setUTCMonth(expected.getUTCMonth() + 1);
  expect(expiresAt.toISOString()).toBe(expected.toISOString());
  return { batchId, orderId: res.json().id as string, expiresAt };
}

async function outbox(accountId: string) {
  return h.db.query<{ kind: string; subject: string; created_at: Date }>(
    'SELECT kind, subject, created_at FROM mail_outbox WHERE account_id = $1 ORDER BY created_at, id',
    [accountId],
  );
}

const mailsOf = async (accountId: string, kind: string) =>
  (await outbox(accountId)).filter((m) => m.kind === kind).map((m) => m.created_at.toISOString());

const getBatch = (key: string, id: string) => h.call('GET', `/v1/isp/batches/${id}`, { key });
const renew = (key: string, id: string, body: Record<string, unknown>) =>
  h.call('POST', `/v1/isp/batches/${id}/renew`, { key, body });

async function heldIps(batchId: string) {
  return (await batchIps(h.db, batchId)).map((r) => `${r.ip_id}:${r.status}:${r.batch_id}`);
}

async function balance(key: string) {
  return (await h.call('GET', '/v1/account', { key })).json().balance_usd as number;
}

async function renewOrders(key: string) {
  const list = (await h.call('GET', '/v1/orders?type=renew', { key })).json().data as { id: string }[];
  return list;
}

describe('expiry of the seed batch', () => {
  it('reminders at expires_at − 7 d and − 1 d (once each), expired at expires_at, IPs held 72 h, then back in stock', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const { batchId, expiresAt } = await seedBatch(c.key);
    const ips = await heldIps(batchId);
    expect(ips).toHaveLength(20);
    const remind7 = new Date(expiresAt.getTime() - 7 * DAY_MS);
    const remind1 = new Date(expiresAt.getTime() - DAY_MS);

    await advanceTo(new Date(remind7.getTime() - 60_000));
    expect(await mailsOf(c.id, 'isp_expiry_reminder_7d')).toEqual([]);
    await advance(60);
    expect(await mailsOf(c.id, 'isp_expiry_reminder_7d')).toEqual([remind7.toISOString()]);

    await advanceTo(new Date(remind1.getTime() - 60_000));
    expect(await mailsOf(c.id, 'isp_expiry_reminder_1d')).toEqual([]);
    await advance(60);
    expect(await mailsOf(c.id, 'isp_expiry_reminder_1d')).toEqual([remind1.toISOString()]);
    // once each
    expect(await mailsOf(c.id, 'isp_expiry_reminder_7d')).toEqual([remind7.toISOString()]);

    await advanceTo(new Date(expiresAt.getTime() - 60_000));
    expect((await getBatch(c.key, batchId)).json().status).toBe('ready');
    await advance(60);
    const expired = (await getBatch(c.key, batchId)).json();
    expect(expired).toMatchObject({
      status: 'expired',
      expires_at: expiresAt.toISOString(),
      grace_until: new Date(expiresAt.getTime() + 72 * HOUR_MS).toISOString(),
    });
    expect(await mailsOf(c.id, 'isp_batch_expired')).toEqual([expiresAt.toISOString()]);
    // the proxies stop: the list is no longer served
    const list = await h.call('GET', `/v1/isp/batches/${batchId}/ips`, { key: c.key });
    expect(list.statusCode).toBe(409);
    expect(list.json().error.code).toBe('invalid_state');

    // during the grace period the IPs stay with the batch
    await advanceTo(new Date(expiresAt.getTime() + 72 * HOUR_MS - 60_000));
    expect(await heldIps(batchId)).toEqual(ips);

    await advance(60);
    const released = (await getBatch(c.key, batchId)).json();
    expect(released).toMatchObject({
      status: 'released',
      released_at: new Date(expiresAt.getTime() + 72 * HOUR_MS).toISOString(),
    });
    expect(await batchIps(h.db, batchId)).toEqual([]);
    const back = await h.db.query<{ status: string; batch_id: string | null }>(
      'SELECT status, batch_id FROM isp_ips WHERE id = ANY($1::text[])',
      [ips.map((s) => s.split(':')[0])],
    );
    expect(back).toHaveLength(20);
    expect(back.every((r) => r.status === 'available' && r.batch_id === null)).toBe(true);

    // after the grace: no renewal
    const late = await renew(c.key, batchId, { months: 1 });
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('invalid_state');
    expect(await balance(c.key)).toBe(380);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('POST /v1/isp/batches/{id}/renew', () => {
  it('an expired batch renewed within the grace period is ready again with the same IPs, for 120.00, from the old expiry', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const { batchId, expiresAt } = await seedBatch(c.key);
    const ips = await heldIps(batchId);
    await advanceTo(new Date(expiresAt.getTime() + HOUR_MS));
    expect((await getBatch(c.key, batchId)).json().status).toBe('expired');

    const res = await renew(c.key, batchId, { months: 1 });
    expect(res.statusCode).toBe(200);
    const newExpiry = new Date(expiresAt);
    newExpiry.setUTCMonth(newExpiry.getUTCMonth() + 1);
    expect(res.json()).toMatchObject({
      type: 'renew',
      product: 'isp',
      status: 'completed',
      payment_status: 'paid',
      total_usd: 120,
      details: {
        batch_id: batchId,
        previous_expires_at: expiresAt.toISOString(),
        expires_at: newExpiry.toISOString(),
      },
    });
    const line = res.json().line_items[0];
    expect(line).toMatchObject({
      instance_id: batchId,
      starts_at: expiresAt.toISOString(),
      ends_at: newExpiry.toISOString(),
    });
    const b = (await getBatch(c.key, batchId)).json();
    expect(b).toMatchObject({ status: 'ready', expires_at: newExpiry.toISOString() });
    expect(await heldIps(batchId)).toEqual(ips);
    const list = await h.call('GET', `/v1/isp/batches/${batchId}/ips`, { key: c.key });
    expect(list.statusCode).toBe(200);
    expect(list.body.trim().split('\n')).toHaveLength(20);
    expect(await balance(c.key)).toBe(260);

    // not released at the old grace end
    await advanceTo(new Date(expiresAt.getTime() + 73 * HOUR_MS));
    expect((await getBatch(c.key, batchId)).json().status).toBe('ready');
    expect(await heldIps(batchId)).toEqual(ips);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a ready batch renewed early adds 12 months to its expiry at 1296.00 (yearly 10% off); short balance with no card: 409', async () => {
    const c = await h.customer({ balanceUsd: 1500, kyc: true });
    const { batchId, expiresAt } = await seedBatch(c.key);
    const res = await renew(c.key, batchId, { months: 12 });
    expect(res.statusCode).toBe(200);
    const newExpiry = new Date(expiresAt);
    newExpiry.setUTCMonth(newExpiry.getUTCMonth() + 12);
    expect(res.json()).toMatchObject({
      type: 'renew',
      original_usd: 1440,
      discount_usd: 144,
      total_usd: 1296,
      details: { expires_at: newExpiry.toISOString() },
    });
    expect(await balance(c.key)).toBe(84);
    const poor = await renew(c.key, batchId, { months: 1 });
    expect(poor.statusCode).toBe(409);
    expect(poor.json().error).toMatchObject({
      code: 'insufficient_balance',
      decline_code: 'no_payment_method',
    });
    expect((await getBatch(c.key, batchId)).json().expires_at).toBe(newExpiry.toISOString());
    expect(await balance(c.key)).toBe(84);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a renewal whose process dies after the card was charged is settled by recovery: renewed, not refunded', async () => {
    const c = await h.customer({ balanceUsd: 125, kyc: true });
    await addCard(h, c.key);
    const { batchId, expiresAt } = await seedBatch(c.key); // 120.00: 5.00 left
    await expect(
      renewBatch(h.deps, {
        accountId: c.id,
        batchId,
        months: 1,
        afterCharge: async () => {
          throw new Error('process died');
        },
      }),
    ).rejects.toThrow('process died');
    expect((await getBatch(c.key, batchId)).json().expires_at).toBe(expiresAt.toISOString());
    await h.clock.advance(31);
    expect(await recoverPayments(h.deps, { olderThanSeconds: 30 })).toMatchObject({ settled: 1, voided: 0 });
    const renewed = new Date(expiresAt);
    renewed.setUTCMonth(renewed.getUTCMonth() + 1);
    expect((await getBatch(c.key, batchId)).json().expires_at).toBe(renewed.toISOString());
    // the card paid the 115.00 the balance left, and nothing was refunded
    expect(await cardCharges(h, c.id)).toMatchObject([{ amount_cents: 11500, refunded_cents: 0 }]);
    expect(await balance(c.key)).toBe(0);
    const orders = (await h.call('GET', '/v1/orders?type=renew', { key: c.key })).json().data;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ type: 'renew', payment_status: 'paid', total_usd: 120, paid_usd: 120 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('dry run: the formula terms (5.00 base + 1.00 AS7922 surcharge) × 20 × 12 − 10%, and nothing is charged', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const { batchId, expiresAt } = await seedBatch(c.key);
    const res = await renew(c.key, batchId, { months: 12, dry_run: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      object: 'order_quote',
      type: 'renew',
      status: 'pending_payment',
      total_usd: 1296,
      pricing: {
        base_price_usd: 5,
        asn_surcharge_usd: 1,
        unit_price_usd: 6,
        quantity: 20,
        months: 12,
        original_usd: 1440,
        discount_usd: 144,
        payable_usd: 1296,
      },
      payment: { from_balance_usd: 80, from_card_usd: 1216 },
      checks: [{ code: 'insufficient_balance' }],
    });
    expect(await balance(c.key)).toBe(80);
    expect(await renewOrders(c.key)).toEqual([]);
    expect((await getBatch(c.key, batchId)).json().expires_at).toBe(expiresAt.toISOString());
  });

  it("another tenant's batch is 404 not_found (renew and dry run); bad months is 400", async () => {
    const a = await h.customer({ balanceUsd: 200, kyc: true });
    const b = await h.customer({ balanceUsd: 200, kyc: true });
    const { batchId } = await seedBatch(a.key);
    for (const body of [{ months: 1 }, { months: 1, dry_run: true }]) {
      const res = await renew(b.key, batchId, body);
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const bad = await renew(a.key, batchId, { months: 3 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
    expect(await balance(b.key)).toBe(200);
    expect(await balance(a.key)).toBe(80);
  });
});

describe('auto-renew', () => {
  it('charges 120.00 one day before expires_at and the batch does not expire', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const { batchId, expiresAt } = await seedBatch(c.key);
    const patch = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { auto_renew: true },
    });
    expect(patch.statusCode).toBe(200);
    const at = new Date(expiresAt.getTime() - DAY_MS);
    await advanceTo(new Date(at.getTime() - 60_000));
    expect(await renewOrders(c.key)).toEqual([]);
    await advance(60);
    const orders = (await h.call('GET', '/v1/orders?type=renew', { key: c.key })).json().data;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({ type: 'renew', total_usd: 120, created_at: at.toISOString() });
    expect(await balance(c.key)).toBe(260);
    const newExpiry = new Date(expiresAt);
    newExpiry.setUTCMonth(newExpiry.getUTCMonth() + 1);
    await advanceTo(new Date(expiresAt.getTime() + HOUR_MS));
    const b = (await getBatch(c.key, batchId)).json();
    expect(b).toMatchObject({ status: 'ready', expires_at: newExpiry.toISOString() });
    expect(await mailsOf(c.id, 'isp_batch_expired')).toEqual([]);
    // renewed once, not again before the new expiry's day-before
    expect(await renewOrders(c.key)).toHaveLength(1);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a declined card: a "card declined on auto-renew" mail (once), no renewal, and the batch expires', async () => {
    const c = await h.customer({ balanceUsd: 120, kyc: true });
    const { batchId, expiresAt } = await seedBatch(c.key);
    const pm = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: '4000000000000002', exp_month: 12, exp_year: 2030, cvc: '123' } },
    });
    expect(pm.statusCode).toBe(200);
    await h.call('PATCH', `/v1/isp/batches/${batchId}`, { key: c.key, body: { auto_renew: true } });
    const at = new Date(expiresAt.getTime() - DAY_MS);
    await advanceTo(at);
    expect(await mailsOf(c.id, 'isp_auto_renew_declined')).toEqual([at.toISOString()]);
    expect(await renewOrders(c.key)).toEqual([]);
    await advanceTo(new Date(expiresAt.getTime() + 60_000));
    expect(await mailsOf(c.id, 'isp_auto_renew_declined')).toEqual([at.toISOString()]);
    expect((await getBatch(c.key, batchId)).json().status).toBe('expired');
    expect(await mailsOf(c.id, 'isp_batch_expired')).toHaveLength(1);
    expect(await balance(c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('waiting order delivered (SPEC §9)', () => {
  it('a waiting order served from the queue gets the "waiting order delivered" mail when its stock arrives', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 64777, quantity: 5, on_shortage: 'wait' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('waiting_inventory');
    expect(await mailsOf(c.id, 'isp_wait_delivered')).toEqual([]);
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64777, count: 5 });
    await advance(60);
    const mails = (await outbox(c.id)).filter((m) => m.kind === 'isp_wait_delivered');
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe(`Your waiting ISP order ${res.json().id} is being delivered`);
    expect((await h.call('GET', `/v1/orders/${res.json().id}`, { key: c.key })).json().status).toBe(
      'provisioning',
    );
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
