/**
 * Refunds to their sources (SPEC §5, §4 dry runs, §11 retries): operator refunds
 * through POST /admin/v1/orders/{id}/refund, the retry of a failed card refund, and what each
 * source gets back — the balance as a ledger 'refund' entry, the card through the gateway, a
 * valid voucher its part, an expired voucher's part forfeited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveWaitQueue } from '../src/app/isp/serve-wait-queue.ts';
import { moveVoucher } from '../src/db/ledger.ts';
import { balanceOf, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, availableAt, batchRow, waitRow } from './support/isp-stock.ts';
import { RESIDENTIAL_225 as ORDER } from './support/orders.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function placeOrder(key: string, body: Record<string, unknown> = ORDER) {
  const res = await h.call('POST', '/v1/orders', { key, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { id: string; total_usd: number };
}

function refund(orderId: string, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return h.call('POST', `/admin/v1/orders/${orderId}/refund`, { admin: true, body, headers });
}

function retry(orderId: string) {
  return h.call('POST', `/admin/v1/orders/${orderId}/refund/retry`, { admin: true });
}

async function adminOrder(id: string) {
  const res = await h.call('GET', `/admin/v1/orders/${id}`, { admin: true });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function charges(accountId: string) {
  return h.db.query<{ amount_cents: number; refunded_cents: number }>(
    `SELECT c.amount_cents, c.refunded_cents FROM sandbox_charges c
     JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1 ORDER BY c.created_at, c.id`,
    [accountId],
  );
}

async function cashEntries(key: string) {
  return (await h.call('GET', '/v1/billing/transactions', { key })).json().data as {
    amount_usd: number;
    cause: string;
    order_id: string | null;
    memo: string | null;
  }[];
}

const paymentEvents = (o: { events: { field: string; from: string; to: string }[] }) =>
  o.events.filter((e) => e.field === 'payment_status').map((e) => [e.from, e.to]);

async function issueVoucher(accountId: string, amountUsd: number, expiresInSeconds: number) {
  const now = await h.clock.now();
  const res = await h.call('POST', `/admin/v1/accounts/${accountId}/vouchers`, {
    admin: true,
    body: {
      amount_usd: amountUsd,
      expires_at: new Date(now.getTime() + expiresInSeconds * 1000).toISOString(),
    },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().id as string;
}

/**
 * The voucher spend of an order, written exactly as paying with vouchers writes it: a voucher
 * ledger entry, negative, cause 'order', order_id the order.
 */
async function spendVoucher(accountId: string, voucherId: string, orderId: string, cents: number) {
  const entry = await moveVoucher(h.db, {
    id: h.deps.ids.next('txn'),
    accountId,
    voucherId,
    amount: -cents,
    cause: 'order',
    orderId,
    at: await h.clock.now(),
  });
  expect(entry).not.toBeNull();
}

/** The card issuer accepts refunds again: the sandbox card (0341) behaves like any other. */
async function issuerAcceptsRefunds(accountId: string) {
  await h.db.query(
    `UPDATE sandbox_cards SET behaviour = 'succeed'
     WHERE token = (SELECT gateway_ref FROM payment_methods WHERE account_id = $1)`,
    [accountId],
  );
}

async function voucher(key: string, id: string) {
  return (await h.call('GET', `/v1/vouchers/${id}`, { key })).json() as {
    remaining_usd: number;
    status: string;
  };
}

describe('refunds to the balance', () => {
  it('full refund of a balance-paid bandwidth order: the balance gets 225.00 back and the order is refunded', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const o = await placeOrder(c.key);
    expect(await balanceOf(h, c.key)).toBe(75);
    const res = await refund(o.id, { reason: 'customer complaint #12' });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      id: o.id,
      account: c.id,
      status: 'completed',
      payment_status: 'refunded',
      paid_usd: 225,
      refunded_usd: 225,
      refund: {
        object: 'refund',
        status: 'succeeded',
        reason: 'customer complaint #12',
        paid_total_usd: 225,
        paid_by_balance_usd: 225,
        already_refunded_usd: 0,
        refundable_usd: 225,
        requested_usd: 225,
        to_card_usd: 0,
        to_balance_usd: 225,
        to_vouchers: [],
        remaining_usd: 0,
        resulting_payment_status: 'refunded',
      },
    });
    expect(body.refund.id).toMatch(/^rfd_[0-9A-Z]{26}$/);
    expect(res.body).toContain('"to_balance_usd":225.00');
    expect(body.line_items.map((l: { status: string }) => l.status)).toEqual(['refunded']);
    expect(await balanceOf(h, c.key)).toBe(300);
    const [entry] = await cashEntries(c.key);
    expect(entry).toMatchObject({ cause: 'refund', amount_usd: 225, order_id: o.id });
    expect(entry!.memo).toBe(`refund ${body.refund.id}: customer complaint #12`);
    expect(paymentEvents(await adminOrder(o.id))).toEqual([
      [null, 'paid'],
      ['paid', 'refunded'],
    ]);
    // refunded is terminal
    const again = await refund(o.id, { reason: 'twice' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'invalid_state', payment_status: 'refunded' });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('partial refund → partially_refunded; a second partial up to the rest → refunded; beyond → 422 refund_exceeds_paid', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const o = await placeOrder(c.key);
    const tooMuch = await refund(o.id, { amount_usd: 225.01, reason: 'too much' });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json().error).toMatchObject({ code: 'refund_exceeds_paid', param: 'amount_usd' });

    const first = await refund(o.id, { amount_usd: 100, reason: 'partial' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      payment_status: 'partially_refunded',
      refunded_usd: 100,
      refund: { requested_usd: 100, to_balance_usd: 100, remaining_usd: 125 },
    });
    // a line item is refunded whole only: it stays paid under a partial refund
    expect(first.json().line_items[0].status).toBe('paid');
    expect(await balanceOf(h, c.key)).toBe(100);

    const beyond = await refund(o.id, { amount_usd: 125.01, reason: 'beyond the rest' });
    expect(beyond.statusCode).toBe(422);
    expect(beyond.json().error.code).toBe('refund_exceeds_paid');
    expect(beyond.json().error.message).toContain('refundable 12500');

    const rest = await refund(o.id, { amount_usd: '125.00', reason: 'the rest' });
    expect(rest.statusCode, rest.body).toBe(200);
    expect(rest.json()).toMatchObject({
      payment_status: 'refunded',
      refunded_usd: 225,
      refund: { already_refunded_usd: 100, refundable_usd: 125, requested_usd: 125, remaining_usd: 0 },
    });
    expect(rest.json().line_items[0].status).toBe('refunded');
    expect(await balanceOf(h, c.key)).toBe(225);
    expect(paymentEvents(await adminOrder(o.id))).toEqual([
      [null, 'paid'],
      ['paid', 'partially_refunded'],
      ['partially_refunded', 'refunded'],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a dry run shows every term of the formula and changes nothing', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const o = await placeOrder(c.key); // 100.00 from the balance, 125.00 from the card
    const res = await refund(o.id, { amount_usd: 150, reason: 'checking', dry_run: true });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      object: 'refund_plan',
      dry_run: true,
      order: o.id,
      paid_total_usd: 225,
      paid_by_card_usd: 125,
      paid_by_balance_usd: 100,
      paid_by_vouchers_usd: 0,
      already_refunded_usd: 0,
      refundable_usd: 225,
      requested_usd: 150,
      to_card_usd: 125,
      card_refunds: [{ payment_id: expect.stringMatching(/^pay_/), amount_usd: 125 }],
      to_balance_usd: 25,
      to_vouchers: [],
      forfeited_usd: 0,
      remaining_usd: 75,
      resulting_payment_status: 'partially_refunded',
      formula: {
        paid_total: '125.00 card + 100.00 balance + 0.00 vouchers = 225.00',
        refundable: '225.00 paid total − 0.00 already refunded = 225.00',
        requested: '125.00 to card + 25.00 to balance + 0.00 to vouchers (0.00 of it forfeited) = 150.00',
        remaining: '225.00 refundable − 150.00 requested = 75.00',
      },
    });
    const after = await adminOrder(o.id);
    expect(after).toMatchObject({ payment_status: 'paid', refunded_usd: 0 });
    expect(paymentEvents(after)).toEqual([[null, 'paid']]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await charges(c.id)).toEqual([{ amount_cents: 12500, refunded_cents: 0 }]);
    expect((await cashEntries(c.key)).map((e) => e.cause)).not.toContain('refund');
    const refunds = await h.db.query('SELECT id FROM order_refunds WHERE order_id = $1', [o.id]);
    expect(refunds).toEqual([]);
    // a dry run is refused like the refund itself
    const over = await refund(o.id, { amount_usd: 300, reason: 'checking', dry_run: true });
    expect(over.statusCode).toBe(422);
  });
});

describe('refunds to the card', () => {
  it('the card part goes refunding → refunded through the gateway, the balance part to the balance', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100 });
    const o = await placeOrder(c.key);
    const part = await refund(o.id, { amount_usd: 50, reason: 'partial to card' });
    expect(part.statusCode, part.body).toBe(200);
    expect(part.json()).toMatchObject({
      payment_status: 'partially_refunded',
      refunded_usd: 50,
      refund: { status: 'succeeded', to_card_usd: 50, to_balance_usd: 0 },
    });
    expect(await charges(c.id)).toEqual([{ amount_cents: 12500, refunded_cents: 5000 }]);

    const all = await refund(o.id, { reason: 'the rest' });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toMatchObject({
      payment_status: 'refunded',
      refunded_usd: 225,
      refund: { to_card_usd: 75, to_balance_usd: 100, already_refunded_usd: 50 },
    });
    expect(all.json().line_items[0].status).toBe('refunded');
    expect(await charges(c.id)).toEqual([{ amount_cents: 12500, refunded_cents: 12500 }]);
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(paymentEvents(await adminOrder(o.id))).toEqual([
      [null, 'paid'],
      ['paid', 'refunding'],
      ['refunding', 'partially_refunded'],
      ['partially_refunded', 'refunding'],
      ['refunding', 'refunded'],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the failing-refund card 0341 leaves refund_failed; retry fails again, then succeeds once the issuer accepts', async () => {
    const c = await customerWithCard(h, { card: '4000000000000341' });
    const o = await placeOrder(c.key, { product: 'residential', gb: 1 }); // 4.50, all by card
    const first = await refund(o.id, { amount_usd: 2, reason: 'partial' });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      payment_status: 'refund_failed',
      refunded_usd: 0,
      refund: { status: 'failed', to_card_usd: 2 },
    });
    // a partial refund leaves the line items paid
    expect(first.json().line_items[0].status).toBe('paid');

    const blocked = await refund(o.id, { amount_usd: 1, reason: 'another' });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().error).toMatchObject({ code: 'invalid_state', payment_status: 'refund_failed' });
    expect(blocked.json().error.message).toContain('retry it first');

    const stillFailing = await retry(o.id);
    expect(stillFailing.statusCode, stillFailing.body).toBe(200);
    expect(stillFailing.json()).toMatchObject({
      payment_status: 'refund_failed',
      refund: { status: 'failed' },
    });

    await issuerAcceptsRefunds(c.id);
    const ok = await retry(o.id);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({
      payment_status: 'partially_refunded',
      refunded_usd: 2,
      refund: { status: 'succeeded', to_card_usd: 2 },
    });
    expect(await charges(c.id)).toEqual([{ amount_cents: 450, refunded_cents: 200 }]);
    const attempts = await h.db.query<{ attempt: number; status: string }>(
      `SELECT p.attempt, p.status FROM order_refund_parts p JOIN order_refunds r ON r.id = p.refund_id
       WHERE r.order_id = $1`,
      [o.id],
    );
    expect(attempts).toEqual([{ attempt: 3, status: 'succeeded' }]);

    const nothingToRetry = await retry(o.id);
    expect(nothingToRetry.statusCode).toBe(409);
    expect(nothingToRetry.json().error.code).toBe('invalid_state');

    const rest = await refund(o.id, { reason: 'the rest' });
    expect(rest.statusCode, rest.body).toBe(200);
    expect(rest.json()).toMatchObject({ payment_status: 'refunded', refunded_usd: 4.5 });
    expect(await charges(c.id)).toEqual([{ amount_cents: 450, refunded_cents: 450 }]);
    expect(paymentEvents(await adminOrder(o.id))).toEqual([
      [null, 'paid'],
      ['paid', 'refunding'],
      ['refunding', 'refund_failed'],
      ['refund_failed', 'refunding'],
      ['refunding', 'refund_failed'],
      ['refund_failed', 'refunding'],
      ['refunding', 'partially_refunded'],
      ['partially_refunded', 'refunding'],
      ['refunding', 'refunded'],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a whole refund that fails marks the line items refund_failed, and the retry refunds them', async () => {
    const c = await customerWithCard(h, { card: '4000000000000341' });
    const o = await placeOrder(c.key, { product: 'residential', gb: 2 }); // 9.00
    const res = await refund(o.id, { reason: 'whole' });
    expect(res.json()).toMatchObject({ payment_status: 'refund_failed', refunded_usd: 0 });
    expect(res.json().line_items[0].status).toBe('refund_failed');
    await issuerAcceptsRefunds(c.id);
    const ok = await retry(o.id);
    expect(ok.json()).toMatchObject({ payment_status: 'refunded', refunded_usd: 9 });
    expect(ok.json().line_items[0].status).toBe('refunded');
  });

  it('a card that never takes the refund: the operator credits it to the balance instead, once', async () => {
    const c = await customerWithCard(h, { card: '4000000000000341' });
    const o = await placeOrder(c.key, { product: 'residential', gb: 2 }); // 9.00, all by card
    const res = await refund(o.id, { reason: 'closed card' });
    expect(res.json()).toMatchObject({ payment_status: 'refund_failed', refunded_usd: 0 });
    const before = await balanceOf(h, c.key);
    const moved = await h.call('POST', `/admin/v1/orders/${o.id}/refund/retry`, {
      admin: true,
      body: { to: 'balance' },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({
      payment_status: 'refunded',
      refunded_usd: 9,
      refund: { status: 'succeeded' },
    });
    expect(moved.json().line_items[0].status).toBe('refunded');
    expect(await balanceOf(h, c.key)).toBe(before + 9);
    // the card was never refunded, and nothing is left to refund or to retry
    expect(await charges(c.id)).toEqual([{ amount_cents: 900, refunded_cents: 0 }]);
    expect((await retry(o.id)).statusCode).toBe(409);
    expect((await refund(o.id, { reason: 'again' })).statusCode).toBe(409);
    const parts = await h.db.query<{ source: string; status: string }>(
      `SELECT p.source, p.status FROM order_refund_parts p JOIN order_refunds r ON r.id = p.refund_id
       WHERE r.order_id = $1`,
      [o.id],
    );
    expect(parts).toEqual([{ source: 'card', status: 'to_balance' }]);
    expect(paymentEvents(await adminOrder(o.id)).slice(-2)).toEqual([
      ['refund_failed', 'refunding'],
      ['refunding', 'refunded'],
    ]);
    // an order not refund_failed cannot be settled this way
    const paid = await placeOrder(c.key, { product: 'residential', gb: 1 });
    const wrong = await h.call('POST', `/admin/v1/orders/${paid.id}/refund/retry`, {
      admin: true,
      body: { to: 'balance' },
    });
    expect(wrong.statusCode).toBe(409);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a gateway that cannot be reached leaves the order refunding; the job finishes the card part', async () => {
    const c = await customerWithCard(h);
    const o = await placeOrder(c.key, { product: 'residential', gb: 1 });
    const real = h.deps.gateway.refund;
    h.deps.gateway.refund = async () => {
      throw new Error('gateway unreachable');
    };
    let res: Awaited<ReturnType<typeof refund>>;
    try {
      res = await refund(o.id, { reason: 'network trouble' });
    } finally {
      h.deps.gateway.refund = real;
    }
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ payment_status: 'refunding', refund: { status: 'refunding' } });
    const busy = await refund(o.id, { reason: 'again' });
    expect(busy.statusCode).toBe(409);
    expect(busy.json().error.payment_status).toBe('refunding');
    const adv = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 301 } });
    expect(adv.statusCode).toBe(200);
    expect(await adminOrder(o.id)).toMatchObject({ payment_status: 'refunded', refunded_usd: 4.5 });
    expect(await charges(c.id)).toEqual([{ amount_cents: 450, refunded_cents: 450 }]);
  });
});

describe('a card refund while the gateway stays unreachable', () => {
  it('is retried past the usual 25 attempts (two days) and completes when the gateway is back', async () => {
    const c = await customerWithCard(h);
    const o = await placeOrder(c.key, { product: 'residential', gb: 1 });
    const real = h.deps.gateway.refund;
    h.deps.gateway.refund = async () => {
      throw new Error('gateway unreachable');
    };
    try {
      const res = await refund(o.id, { reason: 'long outage' });
      expect(res.json()).toMatchObject({ payment_status: 'refunding' });
      const adv = await h.call('POST', '/admin/v1/clock/advance', {
        admin: true,
        body: { seconds: 48 * 3600 },
      });
      expect(adv.statusCode).toBe(200);
      expect(await adminOrder(o.id)).toMatchObject({ payment_status: 'refunding', refunded_usd: 0 });
      const jobs = await h.db.query<{ attempts: number; failed_at: Date | null }>(
        `SELECT attempts, failed_at FROM jobs WHERE kind = 'refund_order_card' AND payload->>'order_id' = $1`,
        [o.id],
      );
      expect(jobs).toHaveLength(1);
      expect(jobs[0]!.attempts).toBeGreaterThan(25);
      expect(jobs[0]!.failed_at).toBeNull();
    } finally {
      h.deps.gateway.refund = real;
    }
    await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 3600 } });
    expect(await adminOrder(o.id)).toMatchObject({ payment_status: 'refunded', refunded_usd: 4.5 });
    expect(await charges(c.id)).toEqual([{ amount_cents: 450, refunded_cents: 450 }]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('refunds to vouchers', () => {
  it('the voucher part goes back to a voucher that is still valid', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const v = await issueVoucher(c.id, 20, 30 * 24 * 3600);
    const o = await placeOrder(c.key);
    await spendVoucher(c.id, v, o.id, 2000); // the order took 225.00 of cash and 20.00 of voucher
    expect((await voucher(c.key, v)).remaining_usd).toBe(0);

    const part = await refund(o.id, { amount_usd: 230, reason: 'mostly' });
    expect(part.statusCode, part.body).toBe(200);
    expect(part.json().refund).toMatchObject({
      paid_total_usd: 245,
      paid_by_vouchers_usd: 20,
      to_balance_usd: 225,
      to_vouchers: [{ voucher_id: v, amount_usd: 5, forfeited: false }],
      remaining_usd: 15,
    });
    expect(part.json()).toMatchObject({ payment_status: 'partially_refunded', refunded_usd: 230 });
    expect(await voucher(c.key, v)).toMatchObject({ remaining_usd: 5, status: 'active' });

    const rest = await refund(o.id, { reason: 'the rest' });
    expect(rest.json()).toMatchObject({ payment_status: 'refunded', refunded_usd: 245 });
    expect(rest.json().refund.to_vouchers).toEqual([{ voucher_id: v, amount_usd: 15, forfeited: false }]);
    expect((await voucher(c.key, v)).remaining_usd).toBe(20);
    const entries = await h.db.query<{ amount: number; cause: string; order_id: string }>(
      `SELECT amount, cause, order_id FROM ledger_entries WHERE asset = $1 ORDER BY seq`,
      [`voucher:${v}`],
    );
    expect(entries).toEqual([
      { amount: 2000, cause: 'voucher_issued', order_id: null },
      { amount: -2000, cause: 'order', order_id: o.id },
      { amount: 500, cause: 'refund', order_id: o.id },
      { amount: 1500, cause: 'refund', order_id: o.id },
    ]);
    expect(await balanceOf(h, c.key)).toBe(225);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('an expired voucher’s part is forfeited, not turned into cash', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const v = await issueVoucher(c.id, 20, 3600);
    const o = await placeOrder(c.key);
    await spendVoucher(c.id, v, o.id, 2000);
    await h.clock.advance(2 * 3600);
    const res = await refund(o.id, { reason: 'after expiry' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      payment_status: 'refunded',
      refunded_usd: 245,
      refund: {
        to_balance_usd: 225,
        to_vouchers: [{ voucher_id: v, amount_usd: 20, forfeited: true }],
        forfeited_usd: 20,
      },
    });
    expect(await voucher(c.key, v)).toMatchObject({ remaining_usd: 0, status: 'used_up' });
    expect(await balanceOf(h, c.key)).toBe(225);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('the customer cancel of a waiting ISP order uses the same engine', () => {
  it('a full refund: the voucher part back to the voucher, the rest to the balance, recorded as a refund', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const v = await issueVoucher(c.id, 10, 30 * 24 * 3600);
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'fr', city: 'paris', asn: 3215, quantity: 5, on_shortage: 'wait' },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const o = placed.json();
    expect(o).toMatchObject({ status: 'waiting_inventory', total_usd: 27.5 });
    await spendVoucher(c.id, v, o.id, 1000);
    const res = await h.call('POST', `/v1/orders/${o.id}/cancel`, { key: c.key });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', payment_status: 'refunded', refunded_usd: 37.5 });
    expect(await balanceOf(h, c.key)).toBe(100);
    expect((await voucher(c.key, v)).remaining_usd).toBe(10);
    const rows = await h.db.query<{
      amount_cents: number;
      status: string;
      requested_by: string;
      whole: boolean;
    }>('SELECT amount_cents, status, requested_by, whole FROM order_refunds WHERE order_id = $1', [o.id]);
    expect(rows).toEqual([
      { amount_cents: 3750, status: 'succeeded', requested_by: `customer:${c.id}`, whole: true },
    ]);
    // an operator cannot refund it again
    const again = await refund(o.id, { reason: 'again' });
    expect(again.statusCode).toBe(409);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('the dry run of a customer cancel', () => {
  it('shows the full refund of a waiting ISP order with its terms and changes nothing; unpaid: no refund; final: 409', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'fr', city: 'paris', asn: 3215, quantity: 5, on_shortage: 'wait' },
    });
    const o = placed.json();
    expect(o).toMatchObject({ status: 'waiting_inventory', total_usd: 27.5 });
    const dry = await h.call('POST', `/v1/orders/${o.id}/cancel`, { key: c.key, body: { dry_run: true } });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({
      object: 'cancellation_plan',
      dry_run: true,
      order: o.id,
      refund: {
        paid_total_usd: 27.5,
        paid_by_balance_usd: 27.5,
        refundable_usd: 27.5,
        to_balance_usd: 27.5,
        to_card_usd: 0,
        remaining_usd: 0,
        resulting_payment_status: 'refunded',
        formula: { refundable: '27.50 paid total − 0.00 already refunded = 27.50' },
      },
    });
    expect(await balanceOf(h, c.key)).toBe(72.5);
    expect(await adminOrder(o.id)).toMatchObject({ status: 'waiting_inventory', payment_status: 'paid' });
    // another tenant sees nothing
    const other = await h.customer();
    const foreign = await h.call('POST', `/v1/orders/${o.id}/cancel`, {
      key: other.key,
      body: { dry_run: true },
    });
    expect(foreign.statusCode).toBe(404);

    const unpaid = (
      await h.call('POST', '/v1/orders', {
        key: c.key,
        body: { product: 'residential', gb: 1, pay: 'later' },
      })
    ).json();
    const dryUnpaid = await h.call('POST', `/v1/orders/${unpaid.id}/cancel`, {
      key: c.key,
      body: { dry_run: true },
    });
    expect(dryUnpaid.json()).toMatchObject({ object: 'cancellation_plan', refund: null });
    expect(await adminOrder(unpaid.id)).toMatchObject({ payment_status: 'pending_payment' });

    const final = await placeOrder(c.key, { product: 'residential', gb: 1 });
    const dryFinal = await h.call('POST', `/v1/orders/${final.id}/cancel`, {
      key: c.key,
      body: { dry_run: true },
    });
    expect(dryFinal.statusCode).toBe(409);
    expect(dryFinal.json().error.code).toBe('invalid_state');
  });
});

describe('an operator refund of a waiting ISP order', () => {
  it('in full: the order is cancelled with it and leaves the wait queue, so arriving stock is not delivered to it', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'nl', city: 'rotterdam', asn: 1136, quantity: 5, on_shortage: 'wait' },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const o = placed.json();
    expect(o).toMatchObject({ status: 'waiting_inventory', payment_status: 'paid' });
    const paid = o.total_usd as number;

    const partial = await refund(o.id, { amount_usd: 1, reason: 'goodwill' });
    expect(partial.statusCode).toBe(409);
    expect(partial.json().error).toMatchObject({ code: 'invalid_state', param: 'amount_usd' });
    const dryPartial = await refund(o.id, { amount_usd: 1, reason: 'goodwill', dry_run: true });
    expect(dryPartial.statusCode).toBe(409);

    const res = await refund(o.id, { reason: 'customer asked by phone' });
    expect(res.statusCode, res.body).toBe(200);
    expect(await adminOrder(o.id)).toMatchObject({
      status: 'cancelled',
      payment_status: 'refunded',
      refunded_usd: paid,
    });
    expect(await balanceOf(h, c.key)).toBe(100);
    expect((await waitRow(h.db, o.id))?.cancelled_at).not.toBeNull();
    expect((await batchRow(h.db, o.details.batch_id))?.status).toBe('released');

    await addStock(h.db, { country: 'nl', city: 'rotterdam', asn: 1136, count: 5 });
    expect(await serveWaitQueue(h.deps, { country: 'nl' })).toEqual({ served: [], waiting: 0 });
    expect(await availableAt(h.db, { country: 'nl', city: 'rotterdam' })).toBe(5);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('concurrency, idempotency and access', () => {
  it('two operator refunds of one order at once never refund more than paid', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const o = await placeOrder(c.key);
    const both = await Promise.all([
      refund(o.id, { amount_usd: 150, reason: 'race a' }),
      refund(o.id, { amount_usd: 150, reason: 'race b' }),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 422]);
    expect(both.find((r) => r.statusCode === 422)!.json().error.code).toBe('refund_exceeds_paid');
    expect(await balanceOf(h, c.key)).toBe(150);

    const full = await Promise.all([refund(o.id, { reason: 'full a' }), refund(o.id, { reason: 'full b' })]);
    expect(full.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await balanceOf(h, c.key)).toBe(225);
    expect(await adminOrder(o.id)).toMatchObject({ payment_status: 'refunded', refunded_usd: 225 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the Idempotency-Key replays the first answer and refunds once', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const o = await placeOrder(c.key);
    const body = { amount_usd: 10, reason: 'goodwill' };
    const a = await refund(o.id, body, { 'idempotency-key': `refund-${o.id}` });
    const b = await refund(o.id, body, { 'idempotency-key': `refund-${o.id}` });
    expect(a.statusCode).toBe(200);
    expect(b.statusCode).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json().refund.id).toBe(a.json().refund.id);
    expect(await balanceOf(h, c.key)).toBe(10);
    const other = await refund(
      o.id,
      { amount_usd: 11, reason: 'goodwill' },
      { 'idempotency-key': `refund-${o.id}` },
    );
    expect(other.statusCode).toBe(422);
    expect(other.json().error.code).toBe('idempotency_key_reused');
  });

  it('order.refunded is emitted when the refund finishes', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const ep = await h.call('POST', '/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/hooks', events: ['order.refunded'] },
    });
    expect(ep.statusCode, ep.body).toBe(200);
    const o = await placeOrder(c.key);
    await refund(o.id, { amount_usd: 25, reason: 'event' });
    const events = await h.db.query<{
      type: string;
      data: { id: string; payment_status: string; refunded_usd: number };
    }>('SELECT type, data FROM events WHERE account_id = $1 ORDER BY created_at, id', [c.id]);
    expect(events.map((e) => [e.type, e.data.id, e.data.payment_status, e.data.refunded_usd])).toEqual([
      ['order.refunded', o.id, 'partially_refunded', 25],
    ]);
  });

  it('customer keys get 403 on the admin refund routes; unknown orders 404', async () => {
    const c = await h.customer({ balanceUsd: 225 });
    const o = await placeOrder(c.key);
    for (const path of [`/admin/v1/orders/${o.id}/refund`, `/admin/v1/orders/${o.id}/refund/retry`]) {
      const res = await h.call('POST', path, { key: c.key, body: { reason: 'mine' } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('forbidden');
    }
    const unknown = 'ord_01HZZZZZZZZZZZZZZZZZZZZZZZ';
    for (const res of [await refund(unknown, { reason: 'x' }), await retry(unknown)]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect(await balanceOf(h, c.key)).toBe(0);
  });

  it.each([
    [{}, 'reason'],
    [{ reason: '' }, 'reason'],
    [{ reason: '   ' }, 'reason'],
    [{ reason: 'x'.repeat(501) }, 'reason'],
    [{ reason: 'x', amount_usd: 0 }, 'amount_usd'],
    [{ reason: 'x', amount_usd: -5 }, 'amount_usd'],
    [{ reason: 'x', amount_usd: 1.005 }, 'amount_usd'],
    [{ reason: 'x', amount_usd: 'ten' }, 'amount_usd'],
    [{ reason: 'x', dry_run: 'yes' }, 'dry_run'],
    [{ reason: 'x', extra: 1 }, 'extra'],
  ])('a bad body %j is 400 invalid_request naming %s', async (body, param) => {
    const c = await h.customer({ balanceUsd: 5 });
    const o = await placeOrder(c.key, { product: 'residential', gb: 1 });
    const res = await refund(o.id, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param });
    expect((await adminOrder(o.id)).payment_status).toBe('paid');
  });
});
