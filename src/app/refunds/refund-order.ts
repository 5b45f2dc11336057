/**
 * The one refund engine (SPEC §5 "Refunds go back where the money came from", §4 dry runs, §11
 * retries): operator refunds (`POST /admin/v1/orders/{id}/refund`, `orderdesk orders refund`),
 * the customer's cancel of a waiting ISP order (cancel-order.ts, a full refund) and the retry of
 * a failed card refund all go through here.
 *
 * A refund is planned by src/domain/refund-plan.ts from what the order actually took (ledger and
 * payments) and what earlier refunds sent back. In one transaction holding the order's lock (so
 * two refunds of one order never refund more than was paid): the refund and its parts are
 * recorded, the balance part is a cash ledger entry (cause 'refund'), each valid voucher's part a
 * voucher ledger entry (cause 'refund'), an expired voucher's part is forfeited, and the order
 * moves — to `refunding` while a card part is owed, else to `refunded`/`partially_refunded` with
 * the `order.refunded` event. The card part is then refunded through the gateway outside the
 * transaction; a job queued in the same transaction finishes it if the process dies in between.
 * The outcome is written in a second transaction: `refunded`/`partially_refunded` (with the
 * event), or `refund_failed` for an operator to retry.
 *
 * Line items are refunded whole (SPEC §4): they follow a refund that takes the order to
 * `refunded` (paid → refunding → refunded / refund_failed) and stay `paid` under a partial one.
 */

import { presentOrder } from '../../contract/order.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource, readKey } from '../../db/idempotency.ts';
import { releaseWaitingBatch } from '../../db/isp-new-batches.ts';
import { cancelWait } from '../../db/isp-wait-queue.ts';
import { enqueueJob } from '../../db/jobs.ts';
import { moveCash, moveVoucher } from '../../db/ledger.ts';
import { type LockedOrder, lockOrder, type OrderStateChange } from '../../db/order-state.ts';
import { getOrder } from '../../db/orders.ts';
import {
  cardPartTotals,
  findOrderRefund,
  getRefund,
  insertRefund,
  loadRefundSources,
  pendingCardParts,
  planFromRecord,
  reopenFailedCardParts,
  setRefundStatus,
  settleCardPart,
  settleFailedCardPartsToBalance,
} from '../../db/refunds.ts';
import { type DomainError, err, ok, type Result } from '../../domain/errors.ts';
import type { Cents } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import {
  type LineItemStatus,
  lineItemTransitions,
  type PaymentStatus,
  paymentTransitions,
  transition,
} from '../../domain/order-states.ts';
import { checkWaitingRefund, planRefund, type RefundPlan } from '../../domain/refund-plan.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { changeOrderState } from '../orders/change-order-state.ts';
import { resultTx } from '../result-tx.ts';
import { emitEvent } from '../webhooks/emit-event.ts';

/** The job that finishes the card part of a refund (payload `{order_id, refund_id}`). */
export const CARD_REFUND_JOB = 'refund_order_card';

/** How long the inline card refund has before the job takes over. */
const CARD_REFUND_RETRY_SECONDS = 300;
/**
 * The card refund job never gives up while the gateway cannot be reached (its backoff caps at an
 * hour): an order left `refunding` would otherwise wait forever, since only a `refund_failed` one
 * can be retried by an operator. A refusal by the issuer is not a job failure: it ends the job
 * with the order `refund_failed`.
 */
const CARD_REFUND_MAX_ATTEMPTS = 1_000_000;

/** At most this many characters of reason. */
export const MAX_REFUND_REASON = 500;

export interface RefundOrderCommand {
  orderId: string;
  /** the customer's account; null for operators (any account) */
  accountId: string | null;
  /** default: everything still refundable */
  amountCents?: Cents;
  reason: string;
  dryRun?: boolean;
  /** who asked, kept with the refund: `admin:<id>`, `cli:<user>`, `customer:<acc>` */
  requestedBy: string;
  idem?: IdempotencyLink;
}

export interface RefundOutcome {
  order: Order;
  plan: RefundPlan;
  /** null for a dry run */
  refund: { id: string; status: string; reason: string } | null;
}

const REFUNDABLE: readonly PaymentStatus[] = ['paid', 'partially_refunded'];

const NOT_REFUNDABLE_WHY: Partial<Record<PaymentStatus, string>> = {
  pending_payment: 'an unpaid order has nothing to refund (cancel it instead)',
  cancelled: 'a cancelled unpaid order has nothing to refund',
  refunded: 'the order is already refunded in full',
  refunding: 'a refund of this order is still in progress',
  refund_failed:
    'a card refund of this order failed: retry it first (POST /admin/v1/orders/{id}/refund/retry)',
};

function refundableState(status: string): Result<void> {
  if (REFUNDABLE.includes(status as PaymentStatus)) return ok(undefined);
  return err(
    'invalid_state',
    NOT_REFUNDABLE_WHY[status as PaymentStatus] ?? `an order in ${status} cannot be refunded`,
    {
      detail: { payment_status: status },
    },
  );
}

function checkCommand(cmd: RefundOrderCommand): DomainError | null {
  const reason = cmd.reason.trim();
  if (reason.length < 1 || reason.length > MAX_REFUND_REASON) {
    return {
      code: 'invalid_request',
      message: `reason must be 1 to ${MAX_REFUND_REASON} characters`,
      param: 'reason',
    };
  }
  if (cmd.amountCents !== undefined && (!Number.isSafeInteger(cmd.amountCents) || cmd.amountCents <= 0)) {
    return { code: 'invalid_request', message: 'amount_usd must be greater than zero', param: 'amount_usd' };
  }
  return null;
}

const notFound = (id: string) => err('not_found', `No such order: ${id}`, { param: 'id' });

/** The refund of an order, planned; performed unless it is a dry run. */
export async function refundOrder(deps: Deps, cmd: RefundOrderCommand): Promise<Result<RefundOutcome>> {
  const bad = checkCommand(cmd);
  if (bad) return { ok: false, error: bad };
  const at = await deps.clock.now();
  if (cmd.dryRun) {
    return resultTx(deps.db, async (q): Promise<Result<RefundOutcome>> => {
      const order = await getOrder(q, cmd.orderId, cmd.accountId);
      if (!order) return notFound(cmd.orderId);
      const state = refundableState(order.paymentStatus);
      if (!state.ok) return state;
      const plan = planRefund(await loadRefundSources(q, order.id, at), cmd.amountCents);
      if (!plan.ok) return plan;
      const whole = checkWaitingRefund(order, plan.value);
      return whole.ok ? ok({ order, plan: plan.value, refund: null }) : whole;
    });
  }
  const r = await resultTx(
    deps.db,
    async (q): Promise<Result<{ refundId: string; cardPending: boolean; replayed: boolean }>> => {
      if (cmd.idem) {
        // a request under this key that died after committing already refunded: answer with it
        const prior = await readKey(q, cmd.idem.scope, cmd.idem.key);
        if (prior?.resourceType === 'refund' && prior.resourceId) {
          return ok({ refundId: prior.resourceId, cardPending: false, replayed: true });
        }
      }
      const order = await lockOrder(q, cmd.orderId, cmd.accountId);
      if (!order) return notFound(cmd.orderId);
      const state = refundableState(order.paymentStatus);
      if (!state.ok) return state;
      const plan = planRefund(await loadRefundSources(q, order.id, at), cmd.amountCents);
      if (!plan.ok) return plan;
      const whole = checkWaitingRefund(order, plan.value);
      if (!whole.ok) return whole;
      // a waiting ISP order refunded in full is cancelled with it: it leaves the wait queue, so
      // stock arriving later is not delivered to an order that was paid back
      const waiting = order.status === 'waiting_inventory';
      if (waiting) await leaveWaitQueue(q, order.id, at);
      const applied = await applyRefund(q, deps, order, plan.value, {
        reason: cmd.reason.trim(),
        requestedBy: cmd.requestedBy,
        cause: `refund by ${cmd.requestedBy}: ${cmd.reason.trim()}`,
        ...(waiting ? { status: ['waiting_inventory', 'cancelled'] as OrderStateChange['status'] } : {}),
        at,
      });
      if (!applied.ok) return applied;
      if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'refund', applied.value.refundId);
      return ok({ ...applied.value, replayed: false });
    },
  );
  if (!r.ok) return r;
  if (r.value.cardPending) await finishCardRefundNow(deps, cmd.orderId);
  return refundOutcome(deps, r.value.refundId, cmd.accountId);
}

/**
 * A waiting ISP order leaves the wait queue and its waiting batch is released, in the caller's
 * transaction holding the order's lock (a wait-queue run takes it too, so it cannot deliver now).
 */
export async function leaveWaitQueue(q: Sql, orderId: string, at: Date): Promise<void> {
  const batchId = await cancelWait(q, orderId, at);
  if (!batchId || !(await releaseWaitingBatch(q, batchId, at))) {
    throw new Error(`waiting order ${orderId} has no open queue entry or waiting batch`);
  }
}

/** The order and the refund as they stand now. */
async function refundOutcome(
  deps: Deps,
  refundId: string,
  accountId: string | null,
): Promise<Result<RefundOutcome>> {
  const refund = await getRefund(deps.db, refundId);
  const order = refund ? await getOrder(deps.db, refund.orderId, accountId) : null;
  if (!refund || !order) return err('not_found', `No such refund: ${refundId}`);
  return ok({
    order,
    plan: planFromRecord(refund.plan),
    refund: { id: refund.id, status: refund.status, reason: refund.reason },
  });
}

export interface ApplyRefund {
  reason: string;
  requestedBy: string;
  /** the cause recorded with the order's events */
  cause: string;
  /** a fulfilment move made with it (a cancelled waiting order: waiting_inventory → cancelled) */
  status?: OrderStateChange['status'];
  at: Date;
}

/**
 * Writes a planned refund inside the caller's transaction, which holds the order's lock and has
 * checked that the order may be refunded. Returns the refund's id and whether a card part is owed
 * (then call finishCardRefund after the commit).
 */
export async function applyRefund(
  q: Sql,
  deps: Pick<Deps, 'ids'>,
  locked: LockedOrder,
  plan: RefundPlan,
  c: ApplyRefund,
): Promise<Result<{ refundId: string; cardPending: boolean }>> {
  const order = await getOrder(q, locked.id, null);
  if (!order) throw new Error(`locked order ${locked.id} vanished`);
  const cardPending = plan.toCard > 0;
  const whole = plan.resultingPaymentStatus === 'refunded';
  const next: PaymentStatus = cardPending ? 'refunding' : plan.resultingPaymentStatus;
  const move = transition(paymentTransitions, order.paymentStatus, next, 'payment_status');
  if (!move.ok) return move;
  const lineNext: LineItemStatus | null = whole ? (cardPending ? 'refunding' : 'refunded') : null;
  if (lineNext) {
    for (const l of order.lines) {
      const m = transition(lineItemTransitions, l.status, lineNext, `line item ${l.id}`);
      if (!m.ok) return m;
    }
  }
  const refundId = deps.ids.next('rfd');
  await insertRefund(q, {
    id: refundId,
    orderId: order.id,
    accountId: order.accountId,
    amountCents: plan.requested,
    status: cardPending ? 'refunding' : 'succeeded',
    whole,
    reason: c.reason,
    requestedBy: c.requestedBy,
    plan,
    at: c.at,
  });
  const memo = `refund ${refundId}: ${c.reason}`;
  if (plan.toBalance > 0) {
    await moveCash(q, {
      id: deps.ids.next('txn'),
      accountId: order.accountId,
      amount: plan.toBalance,
      cause: 'refund',
      orderId: order.id,
      memo,
      at: c.at,
    });
  }
  for (const v of plan.toVouchers) {
    if (v.forfeited) continue;
    const entry = await moveVoucher(q, {
      id: deps.ids.next('txn'),
      accountId: order.accountId,
      voucherId: v.voucherId,
      amount: v.amount,
      cause: 'refund',
      orderId: order.id,
      memo,
      at: c.at,
    });
    if (!entry) throw new Error(`voucher ${v.voucherId} cannot take back ${v.amount} cents`);
  }
  await changeOrderState(q, order.id, {
    ...(c.status ? { status: c.status } : {}),
    paymentStatus: [order.paymentStatus, next],
    ...(lineNext ? { lineStatus: lineNext } : {}),
    refunded: plan.requested - plan.toCard,
    cause: c.cause,
    at: c.at,
  });
  if (cardPending) {
    await enqueueJob(q, {
      kind: CARD_REFUND_JOB,
      payload: { order_id: order.id, refund_id: refundId },
      runAt: new Date(c.at.getTime() + CARD_REFUND_RETRY_SECONDS * 1000),
      dedupeKey: `${CARD_REFUND_JOB}:${refundId}:1`,
      maxAttempts: CARD_REFUND_MAX_ATTEMPTS,
      now: c.at,
    });
  } else {
    await emitRefunded(q, deps, order.id, c.at);
  }
  return ok({ refundId, cardPending });
}

async function emitRefunded(q: Sql, deps: Pick<Deps, 'ids'>, orderId: string, at: Date): Promise<void> {
  const order = await getOrder(q, orderId, null);
  if (!order) return;
  await emitEvent(q, deps, {
    accountId: order.accountId,
    type: 'order.refunded',
    data: presentOrder(order),
    at,
  });
}

/**
 * Sends to the gateway the card parts of the order's refund in progress, then records the
 * outcome: `refunded`/`partially_refunded` (with `order.refunded`), or `refund_failed`.
 * Idempotent: each part's gateway call carries a key of its own (refund, part, attempt), and an
 * outcome is written only while the order is still `refunding` and the part still pending.
 */
export async function finishCardRefund(deps: Deps, orderId: string): Promise<void> {
  const refund = await findOrderRefund(deps.db, orderId, 'refunding');
  if (!refund) return;
  const outcomes: { position: number; attempt: number; amount: number; failure: string | null }[] = [];
  for (const p of await pendingCardParts(deps.db, refund.id)) {
    let failure: string | null = null;
    if (!p.chargeId) {
      failure = `payment ${p.paymentId} has no gateway charge`;
    } else {
      const res = await deps.gateway.refund({
        chargeId: p.chargeId,
        amountCents: p.amountCents,
        idempotencyKey: `${refund.id}:${p.position}:${p.attempt}`,
        now: await deps.clock.now(),
      });
      if (res.status === 'failed') failure = `${res.code}: ${res.message}`;
    }
    outcomes.push({ position: p.position, attempt: p.attempt, amount: p.amountCents, failure });
  }
  const at = await deps.clock.now();
  const failures = outcomes.filter((o) => o.failure).map((o) => o.failure);
  if (failures.length > 0) {
    deps.log.error(
      { orderId, refundId: refund.id, failures },
      'a card refund failed; an operator must retry it',
    );
  }
  await deps.db.tx(async (q) => {
    const locked = await lockOrder(q, orderId, null);
    if (locked?.paymentStatus !== 'refunding') return;
    let succeededNow = 0;
    for (const o of outcomes) {
      const settled = await settleCardPart(q, { refundId: refund.id, ...o, at });
      if (settled && !o.failure) succeededNow += o.amount;
    }
    const totals = await cardPartTotals(q, refund.id);
    if (totals.pending > 0) return; // another run owns the rest
    const plan = planFromRecord(refund.plan);
    const failed = totals.failed > 0;
    const outcome: PaymentStatus = failed ? 'refund_failed' : plan.resultingPaymentStatus;
    await setRefundStatus(q, refund.id, failed ? 'failed' : 'succeeded', at);
    await changeOrderState(q, orderId, {
      paymentStatus: ['refunding', outcome],
      ...(refund.whole ? { lineStatus: failed ? 'refund_failed' : 'refunded' } : {}),
      refunded: succeededNow,
      cause: failed ? `card refund failed: ${totals.failures.join('; ')}` : 'refunded to the card',
      at,
    });
    if (!failed) await emitRefunded(q, deps, orderId, at);
  });
}

/**
 * The inline attempt after the commit: the refund is recorded and its job queued, so a gateway
 * that throws (unreachable, say) leaves the order `refunding` for the job rather than failing
 * the request.
 */
export async function finishCardRefundNow(deps: Deps, orderId: string): Promise<void> {
  try {
    await finishCardRefund(deps, orderId);
  } catch (e) {
    deps.log.error(
      { orderId, err: e instanceof Error ? e.message : String(e) },
      'the card refund could not be finished now; its job will retry',
    );
  }
}

export interface RetryRefundCommand {
  orderId: string;
  /** who asked: `admin:<id>`, `cli:<user>` */
  requestedBy: string;
  /**
   * card (default): send the failed card parts to the card again; balance: the card cannot take
   * them (closed, say), so credit them to the customer's balance and close the refund
   */
  to?: 'card' | 'balance';
}

/**
 * An operator retries a failed card refund (SPEC §5, §11): `refund_failed` → `refunding`, the
 * failed card parts are sent again under new gateway keys, and the outcome recorded as above.
 */
export async function retryRefund(deps: Deps, cmd: RetryRefundCommand): Promise<Result<RefundOutcome>> {
  if (cmd.to === 'balance') return refundFailedCardToBalance(deps, cmd);
  const at = await deps.clock.now();
  const r = await resultTx(deps.db, async (q): Promise<Result<string>> => {
    const locked = await lockOrder(q, cmd.orderId, null);
    if (!locked) return notFound(cmd.orderId);
    const order = await getOrder(q, locked.id, null);
    if (!order) return notFound(cmd.orderId);
    const move = transition(paymentTransitions, order.paymentStatus, 'refunding', 'payment_status');
    if (!move.ok || order.paymentStatus !== 'refund_failed') {
      return err(
        'invalid_state',
        `only a refund_failed order can be retried; this one is ${order.paymentStatus}`,
        {
          detail: { payment_status: order.paymentStatus },
        },
      );
    }
    const refund = await findOrderRefund(q, order.id, 'failed');
    const attempt = refund ? await reopenFailedCardParts(q, refund.id, at) : 0;
    if (!refund || attempt === 0) {
      return err('invalid_state', 'no failed card refund is recorded for this order');
    }
    if (refund.whole) {
      for (const l of order.lines) {
        const m = transition(lineItemTransitions, l.status, 'refunding', `line item ${l.id}`);
        if (!m.ok) return m;
      }
    }
    await setRefundStatus(q, refund.id, 'refunding', at);
    await changeOrderState(q, order.id, {
      paymentStatus: ['refund_failed', 'refunding'],
      ...(refund.whole ? { lineStatus: 'refunding' } : {}),
      cause: `card refund retried by ${cmd.requestedBy}`,
      at,
    });
    await enqueueJob(q, {
      kind: CARD_REFUND_JOB,
      payload: { order_id: order.id, refund_id: refund.id },
      runAt: new Date(at.getTime() + CARD_REFUND_RETRY_SECONDS * 1000),
      dedupeKey: `${CARD_REFUND_JOB}:${refund.id}:${attempt}`,
      maxAttempts: CARD_REFUND_MAX_ATTEMPTS,
      now: at,
    });
    return ok(refund.id);
  });
  if (!r.ok) return r;
  await finishCardRefundNow(deps, cmd.orderId);
  return refundOutcome(deps, r.value, null);
}

/**
 * An operator settles a failed card refund to the balance (POST …/refund/retry {to: "balance"}):
 * the failed card parts become `to_balance`, the balance is credited their total in one ledger
 * entry, and the order moves refund_failed → refunding → its planned outcome (refunded or
 * partially_refunded), all in one transaction under the order's lock.
 */
async function refundFailedCardToBalance(
  deps: Deps,
  cmd: RetryRefundCommand,
): Promise<Result<RefundOutcome>> {
  const at = await deps.clock.now();
  const r = await resultTx(deps.db, async (q): Promise<Result<string>> => {
    const locked = await lockOrder(q, cmd.orderId, null);
    if (!locked) return notFound(cmd.orderId);
    if (locked.paymentStatus !== 'refund_failed') {
      return err(
        'invalid_state',
        `only a refund_failed order can be settled to the balance; this one is ${locked.paymentStatus}`,
        { detail: { payment_status: locked.paymentStatus } },
      );
    }
    const refund = await findOrderRefund(q, locked.id, 'failed');
    const amount = refund ? await settleFailedCardPartsToBalance(q, refund.id, at) : 0;
    if (!refund || amount === 0)
      return err('invalid_state', 'no failed card refund is recorded for this order');
    await moveCash(q, {
      id: deps.ids.next('txn'),
      accountId: locked.accountId,
      amount,
      cause: 'refund',
      orderId: locked.id,
      memo: `refund ${refund.id}: the card refund failed; credited to the balance by ${cmd.requestedBy}`,
      at,
    });
    const outcome = planFromRecord(refund.plan).resultingPaymentStatus;
    const cause = `card refund settled to the balance by ${cmd.requestedBy}`;
    await setRefundStatus(q, refund.id, 'succeeded', at);
    await changeOrderState(q, locked.id, {
      paymentStatus: ['refund_failed', 'refunding'],
      ...(refund.whole ? { lineStatus: 'refunding' } : {}),
      cause,
      at,
    });
    await changeOrderState(q, locked.id, {
      paymentStatus: ['refunding', outcome],
      ...(refund.whole ? { lineStatus: 'refunded' } : {}),
      refunded: amount,
      cause,
      at,
    });
    await emitRefunded(q, deps, locked.id, at);
    return ok(refund.id);
  });
  if (!r.ok) return r;
  return refundOutcome(deps, r.value, null);
}
