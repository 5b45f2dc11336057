/**
 * Refunds and their parts (migration 013), and what an order took from each source: its cash
 * debits and voucher spends from the ledger (entries with the order's id, cause 'order'), its
 * succeeded card payments, and what earlier refunds sent back to each.
 */

import { sum } from '../domain/money.ts';
import type { CardPart, RefundPlan, RefundSources, VoucherPart } from '../domain/refund-plan.ts';
import type { Sql } from './client.ts';
import { listOrderCardPayments } from './payments.ts';

export type RefundStatus = 'refunding' | 'succeeded' | 'failed';

export interface RefundRow {
  id: string;
  orderId: string;
  accountId: string;
  amountCents: number;
  status: RefundStatus;
  whole: boolean;
  reason: string;
  requestedBy: string;
  plan: Record<string, unknown>;
  createdAt: Date;
}

/** The sources of an order's refund as they stand (read under the order's lock). */
export async function loadRefundSources(q: Sql, orderId: string, now: Date): Promise<RefundSources> {
  // one query at a time: a transaction's connection runs them in turn anyway
  const taken = await q.query<{ cash: number }>(
    `SELECT COALESCE(-sum(amount), 0)::int8 AS cash FROM ledger_entries
     WHERE order_id = $1::text AND asset = 'cash' AND cause = 'order'`,
    [orderId],
  );
  const spends = await q.query<{ voucher_id: string; spent: number; expires_at: Date | null }>(
    `SELECT substr(l.asset, 9) AS voucher_id, (-sum(l.amount))::int8 AS spent, v.expires_at
     FROM ledger_entries l LEFT JOIN vouchers v ON v.id = substr(l.asset, 9)
     WHERE l.order_id = $1::text AND l.asset LIKE 'voucher:%' AND l.cause = 'order'
     GROUP BY l.asset, v.expires_at ORDER BY min(l.seq)`,
    [orderId],
  );
  const parts = await q.query<{ source: string; source_id: string | null; status: string; amount: number }>(
    `SELECT p.source, p.source_id, p.status, sum(p.amount_cents)::int8 AS amount
     FROM order_refund_parts p JOIN order_refunds r ON r.id = p.refund_id
     WHERE r.order_id = $1::text GROUP BY p.source, p.source_id, p.status`,
    [orderId],
  );
  const cards = await listOrderCardPayments(q, orderId);
  const back = (source: string, id: string | null, statuses?: string[]) =>
    parts
      .filter((p) => p.source === source && p.source_id === id && (!statuses || statuses.includes(p.status)))
      .reduce((s, p) => s + p.amount, 0);
  return {
    cash: Math.max(taken[0]?.cash ?? 0, 0),
    balanceRefunded: back('balance', null),
    // a pending or failed card part is owed to that card (retried), so it counts as sent back
    cards: cards.map((c) => ({
      paymentId: c.id,
      chargeId: c.gatewayChargeId,
      charged: c.amountCents,
      refunded: back('card', c.id),
    })),
    vouchers: spends
      .filter((v) => v.spent > 0)
      .map((v) => ({
        voucherId: v.voucher_id,
        spent: v.spent,
        returned: back('voucher', v.voucher_id, ['succeeded']),
        forfeited: back('voucher', v.voucher_id, ['forfeited']),
        valid: v.expires_at !== null && v.expires_at.getTime() > now.getTime(),
      })),
  };
}

/** The plan as stored with the refund (and shown again on a replay): cents, snake_case. */
function planRecord(p: RefundPlan): Record<string, unknown> {
  return {
    paid_cents: p.paid,
    paid_by_card_cents: p.paidByCard,
    paid_by_balance_cents: p.paidByBalance,
    paid_by_vouchers_cents: p.paidByVouchers,
    already_refunded_cents: p.alreadyRefunded,
    refundable_cents: p.refundable,
    requested_cents: p.requested,
    to_card_cents: p.toCard,
    card_parts: p.cardParts.map((c) => ({ payment_id: c.paymentId, amount_cents: c.amount })),
    to_balance_cents: p.toBalance,
    to_vouchers: p.toVouchers.map((v) => ({
      voucher_id: v.voucherId,
      amount_cents: v.amount,
      forfeited: v.forfeited,
    })),
    forfeited_cents: p.forfeited,
    remaining_cents: p.remaining,
    resulting_payment_status: p.resultingPaymentStatus,
  };
}

/** The plan back from its stored record. */
export function planFromRecord(r: Record<string, unknown>): RefundPlan {
  const n = (k: string) => Number(r[k] ?? 0);
  const cards = (r.card_parts as { payment_id: string; amount_cents: number }[] | undefined) ?? [];
  const vouchers =
    (r.to_vouchers as { voucher_id: string; amount_cents: number; forfeited: boolean }[] | undefined) ?? [];
  return {
    paid: n('paid_cents'),
    paidByCard: n('paid_by_card_cents'),
    paidByBalance: n('paid_by_balance_cents'),
    paidByVouchers: n('paid_by_vouchers_cents'),
    alreadyRefunded: n('already_refunded_cents'),
    refundable: n('refundable_cents'),
    requested: n('requested_cents'),
    toCard: n('to_card_cents'),
    cardParts: cards.map(
      (c): CardPart => ({ paymentId: c.payment_id, chargeId: null, amount: c.amount_cents }),
    ),
    toBalance: n('to_balance_cents'),
    toVouchers: vouchers.map(
      (v): VoucherPart => ({ voucherId: v.voucher_id, amount: v.amount_cents, forfeited: v.forfeited }),
    ),
    forfeited: n('forfeited_cents'),
    remaining: n('remaining_cents'),
    resultingPaymentStatus: r.resulting_payment_status === 'refunded' ? 'refunded' : 'partially_refunded',
  };
}

/** Inserts a refund and its parts (card parts 'pending', the others done), in one statement. */
export async function insertRefund(
  q: Sql,
  r: Omit<RefundRow, 'plan' | 'createdAt'> & { plan: RefundPlan; at: Date },
): Promise<void> {
  const parts = [
    ...r.plan.cardParts.map((c) => ({
      source: 'card',
      source_id: c.paymentId,
      amount_cents: c.amount,
      status: 'pending',
      gateway_charge_id: c.chargeId,
    })),
    ...(r.plan.toBalance > 0
      ? [{ source: 'balance', source_id: null, amount_cents: r.plan.toBalance, status: 'succeeded' }]
      : []),
    ...r.plan.toVouchers.map((v) => ({
      source: 'voucher',
      source_id: v.voucherId,
      amount_cents: v.amount,
      status: v.forfeited ? 'forfeited' : 'succeeded',
    })),
  ].map((p, i) => ({ position: i + 1, gateway_charge_id: null, ...p }));
  await q.query(
    `WITH r AS (
       INSERT INTO order_refunds (id, order_id, account_id, amount_cents, status, whole, reason, requested_by, plan,
         created_at, updated_at)
       VALUES ($1::text, $2::text, $3::text, $4::int8, $5::text, $6::boolean, $7::text, $8::text, $9::jsonb,
         $10::timestamptz, $10::timestamptz)
       RETURNING id)
     INSERT INTO order_refund_parts (refund_id, position, source, source_id, amount_cents, status, gateway_charge_id,
       updated_at)
     SELECT r.id, p.position, p.source, p.source_id, p.amount_cents, p.status, p.gateway_charge_id, $10::timestamptz
     FROM r, jsonb_to_recordset($11::jsonb) AS p(position int, source text, source_id text, amount_cents bigint,
       status text, gateway_charge_id text)`,
    [
      r.id,
      r.orderId,
      r.accountId,
      r.amountCents,
      r.status,
      r.whole,
      r.reason,
      r.requestedBy,
      JSON.stringify(planRecord(r.plan)),
      r.at,
      JSON.stringify(parts),
    ],
  );
}

function mapRefund(r: Record<string, unknown>): RefundRow {
  return {
    id: r.id as string,
    orderId: r.order_id as string,
    accountId: r.account_id as string,
    amountCents: r.amount_cents as number,
    status: r.status as RefundStatus,
    whole: r.whole as boolean,
    reason: r.reason as string,
    requestedBy: r.requested_by as string,
    plan: r.plan as Record<string, unknown>,
    createdAt: r.created_at as Date,
  };
}

const REFUND_COLS =
  'id, order_id, account_id, amount_cents, status, whole, reason, requested_by, plan, created_at';

export async function getRefund(q: Sql, id: string): Promise<RefundRow | null> {
  const rows = await q.query(`SELECT ${REFUND_COLS} FROM order_refunds WHERE id = $1::text`, [id]);
  return rows[0] ? mapRefund(rows[0]) : null;
}

/** The order's refund in `status` (at most one is refunding or failed at a time), newest first. */
export async function findOrderRefund(
  q: Sql,
  orderId: string,
  status: RefundStatus,
): Promise<RefundRow | null> {
  const rows = await q.query(
    `SELECT ${REFUND_COLS} FROM order_refunds WHERE order_id = $1::text AND status = $2::text
     ORDER BY created_at DESC, id DESC LIMIT 1`,
    [orderId, status],
  );
  return rows[0] ? mapRefund(rows[0]) : null;
}

export interface PendingCardPart {
  refundId: string;
  position: number;
  paymentId: string;
  chargeId: string | null;
  amountCents: number;
  attempt: number;
}

/** The card parts of a refund still to send to the gateway. */
export async function pendingCardParts(q: Sql, refundId: string): Promise<PendingCardPart[]> {
  const rows = await q.query<{
    refund_id: string;
    position: number;
    source_id: string;
    gateway_charge_id: string | null;
    amount_cents: number;
    attempt: number;
  }>(
    `SELECT p.refund_id, p.position, p.source_id, COALESCE(p.gateway_charge_id, pay.gateway_charge_id) AS gateway_charge_id,
       p.amount_cents, p.attempt
     FROM order_refund_parts p LEFT JOIN payments pay ON pay.id = p.source_id
     WHERE p.refund_id = $1::text AND p.source = 'card' AND p.status = 'pending' ORDER BY p.position`,
    [refundId],
  );
  return rows.map((r) => ({
    refundId: r.refund_id,
    position: r.position,
    paymentId: r.source_id,
    chargeId: r.gateway_charge_id ?? null,
    amountCents: r.amount_cents,
    attempt: r.attempt,
  }));
}

/** Records a card part's outcome; false when it was no longer pending with this attempt. */
export async function settleCardPart(
  q: Sql,
  p: { refundId: string; position: number; attempt: number; failure: string | null; at: Date },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE order_refund_parts SET status = $4::text, failure = $5::text, updated_at = $6::timestamptz
     WHERE refund_id = $1::text AND position = $2::int4 AND attempt = $3::int4 AND status = 'pending'
     RETURNING position`,
    [p.refundId, p.position, p.attempt, p.failure ? 'failed' : 'succeeded', p.failure, p.at],
  );
  return rows.length === 1;
}

/**
 * A failed refund's failed card parts go back to 'pending' with the next attempt (a new gateway
 * idempotency key: a key whose refund failed keeps failing). The highest attempt now, 0 if none.
 */
/** The failed card parts of a refund, settled to the balance instead ('to_balance'); their total. */
export async function settleFailedCardPartsToBalance(q: Sql, refundId: string, at: Date): Promise<number> {
  const rows = await q.query<{ amount_cents: number }>(
    `UPDATE order_refund_parts SET status = 'to_balance', updated_at = $2::timestamptz
     WHERE refund_id = $1::text AND source = 'card' AND status = 'failed' RETURNING amount_cents`,
    [refundId, at],
  );
  return sum(rows.map((r) => Number(r.amount_cents)));
}

export async function reopenFailedCardParts(q: Sql, refundId: string, at: Date): Promise<number> {
  const rows = await q.query<{ attempt: number }>(
    `UPDATE order_refund_parts SET status = 'pending', attempt = attempt + 1, failure = NULL,
       updated_at = $2::timestamptz
     WHERE refund_id = $1::text AND source = 'card' AND status = 'failed' RETURNING attempt`,
    [refundId, at],
  );
  return rows.reduce((m, r) => Math.max(m, r.attempt), 0);
}

/** The card parts of a refund by status: what has succeeded, and whether any failed or is pending. */
export async function cardPartTotals(
  q: Sql,
  refundId: string,
): Promise<{ succeeded: number; failed: number; pending: number; failures: string[] }> {
  const rows = await q.query<{ status: string; amount: number; failures: string[] | null }>(
    `SELECT status, sum(amount_cents)::int8 AS amount, array_remove(array_agg(failure), NULL) AS failures
     FROM order_refund_parts WHERE refund_id = $1::text AND source = 'card' GROUP BY status`,
    [refundId],
  );
  const of = (s: string) => rows.find((r) => r.status === s);
  return {
    succeeded: of('succeeded')?.amount ?? 0,
    failed: of('failed')?.amount ?? 0,
    pending: of('pending')?.amount ?? 0,
    failures: of('failed')?.failures ?? [],
  };
}

export async function setRefundStatus(q: Sql, id: string, status: RefundStatus, at: Date): Promise<void> {
  await q.query(
    'UPDATE order_refunds SET status = $2::text, updated_at = $3::timestamptz WHERE id = $1::text',
    [id, status, at],
  );
}
