/**
 * Crash recovery of card payments (SPEC §5): the charge runs outside the database transaction with
 * a recorded intent, so a process that dies between the charge and the commit leaves a payment
 * 'processing' that recoverPayments settles or undoes. The crash is simulated with the
 * `afterCharge` seam (or a gateway that dies), which HTTP cannot reach, so these tests call the
 * use-cases directly with the harness's deps and check the outcome through the API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { topUp } from '../src/app/billing/top-up.ts';
import type { Deps } from '../src/app/deps.ts';
import { placeOrder } from '../src/app/orders/place-order.ts';
import type { PlaceOrderCommand } from '../src/app/orders/place-order-command.ts';
import { recoverPayments, recoverPaymentsForKey } from '../src/app/payments/recover-payments.ts';
import { claimKey, readKey } from '../src/db/idempotency.ts';
import { requestHash } from '../src/http/idempotency.ts';
import { balanceOf, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { RESIDENTIAL_225 as ORDER } from './support/orders.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  // every scenario starts with no payment left half-done by the one before
  expect(await h.db.query(`SELECT id FROM payments WHERE status = 'processing'`)).toEqual([]);
});

const dieAfterCharge = async () => {
  throw new Error('process died after the charge');
};

/** An order whose process dies right after the card charge, before its transaction commits. */
async function orderDiesAfterCharge(
  accountId: string,
  input: PlaceOrderCommand['input'] = ORDER,
  idem?: { scope: string; key: string },
) {
  await expect(
    placeOrder(h.deps, { accountId, input, ...(idem ? { idem } : {}), afterCharge: dieAfterCharge }),
  ).rejects.toThrow('process died');
}

/** The key the HTTP layer had claimed for an order request that then died (its lease has run out). */
async function claimedByDeadRequest(accountId: string, key: string) {
  const now = await h.clock.now();
  await claimKey(h.db, {
    scope: accountId,
    key,
    requestHash: await requestHash(h.db, 'POST', '/v1/orders', ORDER),
    now,
    leaseUntil: new Date(Date.now() - 1000),
    expiredBefore: new Date(now.getTime() - 86_400_000),
  });
}

async function charges(accountId: string) {
  return h.db.query<{ id: string; amount_cents: number; status: string; refunded_cents: number }>(
    `SELECT c.id, c.amount_cents, c.status, c.refunded_cents FROM sandbox_charges c
     JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1 ORDER BY c.created_at, c.id`,
    [accountId],
  );
}

async function payments(accountId: string) {
  return h.db.query<{ id: string; status: string; failure_code: string | null; purpose: string }>(
    'SELECT id, status, failure_code, purpose FROM payments WHERE account_id = $1 ORDER BY created_at, id',
    [accountId],
  );
}

async function orders(key: string) {
  return (await h.call('GET', '/v1/orders', { key })).json().data as {
    id: string;
    payment_status: string;
    status: string;
    total_usd: number;
    paid_usd: number;
  }[];
}

async function ledger(key: string) {
  const data = (await h.call('GET', '/v1/billing/transactions', { key })).json().data as {
    amount_usd: number;
    balance_after_usd: number;
    cause: string;
  }[];
  return data.map((e) => [e.cause, e.amount_usd, e.balance_after_usd]);
}

describe('a crash between the charge and the commit (SPEC §5)', () => {
  it('leaves the card charged and nothing else; recovery then writes the paid order', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    await orderDiesAfterCharge(c.id);
    expect(await charges(c.id)).toMatchObject([
      { amount_cents: 12500, status: 'succeeded', refunded_cents: 0 },
    ]);
    expect(await orders(c.key)).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await payments(c.id)).toMatchObject([{ status: 'processing', purpose: 'order' }]);

    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 1, voided: 0, failed: 0, pending: 0 });

    const placed = await orders(c.key);
    expect(placed).toHaveLength(1);
    expect(placed[0]).toMatchObject({
      payment_status: 'paid',
      status: 'completed',
      total_usd: 225,
      paid_usd: 225,
    });
    expect(await ledger(c.key)).toEqual([
      ['order', -225, 0],
      ['card_payment', 125, 225],
      ['adjustment', 100, 100],
    ]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await payments(c.id)).toMatchObject([{ status: 'succeeded' }]);
    expect(await charges(c.id)).toMatchObject([{ amount_cents: 12500, refunded_cents: 0 }]);
    // a second run finds nothing to do
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 0, failed: 0, pending: 0 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a client retrying with the dead request’s Idempotency-Key gets the recovered order, not a second one', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const key = 'order-crash-1';
    await claimedByDeadRequest(c.id, key);
    await orderDiesAfterCharge(c.id, ORDER, { scope: c.id, key });
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 1 });
    const [recovered] = await orders(c.key);

    const retry = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: ORDER,
      headers: { 'idempotency-key': key },
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ id: recovered!.id, payment_status: 'paid', total_usd: 225 });
    expect(await orders(c.key)).toHaveLength(1);
    expect(await charges(c.id)).toHaveLength(1);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('recoverPaymentsForKey finishes, at once, the payment a dead request left under its key', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const key = 'order-crash-2';
    await claimedByDeadRequest(c.id, key);
    await orderDiesAfterCharge(c.id, ORDER, { scope: c.id, key });
    // no clock advance: the periodic run would not touch it yet, the key-scoped one does
    expect(await recoverPaymentsForKey(h.deps, { scope: c.id, key: 'another-key' })).toEqual({
      settled: 0,
      voided: 0,
      failed: 0,
      pending: 0,
    });
    expect(await recoverPaymentsForKey(h.deps, { scope: c.id, key })).toEqual({
      settled: 1,
      voided: 0,
      failed: 0,
      pending: 0,
    });
    const [order] = await orders(c.key);
    expect(order).toMatchObject({ payment_status: 'paid' });
    expect(await readKey(h.db, c.id, key)).toMatchObject({ resourceType: 'order', resourceId: order!.id });
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a payment younger than the grace period is left alone (its request may still be running)', async () => {
    const c = await customerWithCard(h);
    await orderDiesAfterCharge(c.id, { product: 'residential', gb: 2 });
    await h.clock.advance(10);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 0, failed: 0, pending: 0 });
    expect(await payments(c.id)).toMatchObject([{ status: 'processing' }]);
    await h.clock.advance(30);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 1 });
    expect(await ledger(c.key)).toEqual([
      ['order', -9, 0],
      ['card_payment', 9, 9],
    ]);
  });

  it('a top-up whose process died after the charge is credited by recovery', async () => {
    const c = await customerWithCard(h);
    await expect(
      topUp(h.deps, { accountId: c.id, amountCents: 4000, afterCharge: dieAfterCharge }),
    ).rejects.toThrow();
    expect(await balanceOf(h, c.key)).toBe(0);
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 1, voided: 0, failed: 0, pending: 0 });
    expect(await ledger(c.key)).toEqual([['top_up', 40, 40]]);
    const [p] = await payments(c.id);
    const t = await h.call('GET', `/v1/billing/top-ups/${p!.id}`, { key: c.key });
    expect(t.json()).toMatchObject({ status: 'succeeded', amount_usd: 40, balance_usd: 40 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('two recovery workers at once settle the payment once', async () => {
    const c = await customerWithCard(h);
    await orderDiesAfterCharge(c.id, { product: 'residential', gb: 10 });
    await h.clock.advance(60);
    const runs = await Promise.all([
      recoverPayments(h.deps),
      recoverPayments(h.deps),
      recoverPayments(h.deps),
    ]);
    expect(runs.reduce((n, r) => n + r.settled, 0)).toBe(1);
    expect(runs.reduce((n, r) => n + r.voided + r.failed + r.pending, 0)).toBe(0);
    expect(await orders(c.key)).toHaveLength(1);
    expect(await ledger(c.key)).toEqual([
      ['order', -45, 0],
      ['card_payment', 45, 45],
    ]);
    expect(await charges(c.id)).toMatchObject([{ amount_cents: 4500, refunded_cents: 0 }]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('a crash before the charge, or a charge that must be undone', () => {
  it('the gateway was never called: recovery marks the payment failed (abandoned) and charges nothing', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const dying: Deps = {
      ...h.deps,
      gateway: {
        ...h.deps.gateway,
        charge: async () => {
          throw new Error('process died before the charge');
        },
      },
    };
    await expect(placeOrder(dying, { accountId: c.id, input: ORDER })).rejects.toThrow('before the charge');
    expect(await payments(c.id)).toMatchObject([{ status: 'processing' }]);
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 0, failed: 1, pending: 0 });
    expect(await payments(c.id)).toMatchObject([{ status: 'failed', failure_code: 'abandoned' }]);
    expect(await charges(c.id)).toEqual([]);
    expect(await orders(c.key)).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the card declined but the process died before recording it: recovery marks it failed', async () => {
    const c = await customerWithCard(h, { card: '4000000000000002' });
    const dying: Deps = {
      ...h.deps,
      gateway: {
        ...h.deps.gateway,
        charge: async (req) => {
          await h.deps.gateway.charge(req);
          throw new Error('process died after the gateway answered');
        },
      },
    };
    await expect(placeOrder(dying, { accountId: c.id, input: ORDER })).rejects.toThrow();
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 0, failed: 1, pending: 0 });
    expect(await payments(c.id)).toMatchObject([{ status: 'failed', failure_code: 'card_declined' }]);
    expect(await charges(c.id)).toMatchObject([{ status: 'declined' }]);
    expect(await orders(c.key)).toEqual([]);
  });

  it('settling is refused (the balance was spent meanwhile): the charge is refunded and the payment voided', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    await orderDiesAfterCharge(c.id);
    const spent = await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: -100, reason: 'spent elsewhere' },
    });
    expect(spent.statusCode).toBe(200);
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 1, failed: 0, pending: 0 });
    expect(await charges(c.id)).toMatchObject([
      { amount_cents: 12500, status: 'succeeded', refunded_cents: 12500 },
    ]);
    expect(await payments(c.id)).toMatchObject([{ status: 'voided', failure_code: 'insufficient_balance' }]);
    expect(await orders(c.key)).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await ledger(c.key)).toEqual([
      ['adjustment', -100, 0],
      ['adjustment', 100, 100],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a charge already refunded in full (a void whose bookkeeping was lost) is voided, not settled', async () => {
    const c = await customerWithCard(h);
    await orderDiesAfterCharge(c.id, { product: 'residential', gb: 4 });
    const [charge] = await charges(c.id);
    const refund = await h.deps.gateway.refund({
      chargeId: charge!.id,
      amountCents: 1800,
      idempotencyKey: 'manual-refund',
      now: await h.clock.now(),
    });
    expect(refund.status).toBe('succeeded');
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 1, failed: 0, pending: 0 });
    expect(await orders(c.key)).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(0);
  });

  it('a charge that lands after recovery abandoned its payment is refunded, and the order fails', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const slow: Deps = {
      ...h.deps,
      gateway: {
        ...h.deps.gateway,
        charge: async (req) => {
          // the gateway takes so long that recovery gives the payment up before the charge lands
          await h.clock.advance(60);
          expect(await recoverPayments(h.deps)).toMatchObject({ failed: 1 });
          return h.deps.gateway.charge(req);
        },
      },
    };
    const r = await placeOrder(slow, { accountId: c.id, input: ORDER });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.error).toMatchObject({
        code: 'insufficient_balance',
        detail: { decline_code: 'processing_error' },
      });
    expect(await charges(c.id)).toMatchObject([
      { amount_cents: 12500, status: 'succeeded', refunded_cents: 12500 },
    ]);
    expect(await payments(c.id)).toMatchObject([{ status: 'failed', failure_code: 'abandoned' }]);
    expect(await orders(c.key)).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  // last: it leaves a payment 'processing' on purpose
  it('a void whose refund fails stays processing and is retried by the next run', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100, card: '4000000000000341' }); // refunds always fail
    await orderDiesAfterCharge(c.id);
    await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: -100, reason: 'spent elsewhere' },
    });
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 0, failed: 0, pending: 1 });
    expect(await payments(c.id)).toMatchObject([{ status: 'processing' }]);
    expect(await recoverPayments(h.deps)).toEqual({ settled: 0, voided: 0, failed: 0, pending: 1 });
    expect(await orders(c.key)).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
    await h.db.query(`UPDATE payments SET status = 'failed' WHERE account_id = $1`, [c.id]);
  });
});
