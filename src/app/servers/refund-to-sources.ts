/**
 * A prepaid server's refund (unsubscribe's remaining value, a downgrade's difference) and a
 * coupon's unsubscribe refund go back where the money came from (SPEC §5): it is taken from the
 * orders that paid for the server's term (db/servers.ts serverTermOrderIds) or the coupon (its
 * purchase, or the purchases of the coupons an adjustment made it from), newest first (the renewal
 * or upgrade before the purchase), each through the refund engine
 * (refunds/refund-order.ts applyRefund, planned by domain/refund-plan.ts): its card part to the
 * card through the gateway, its balance part to the balance, its voucher part to the voucher while
 * it is still valid (an expired voucher's part is forfeited, as for any refund).
 *
 * Runs inside the caller's transaction, which holds the server's lock and writes the unsubscribe
 * or change order, so the server's stop or spec change and the refund commit together. The card
 * parts are then sent to the gateway after the commit (finishSourceCardRefunds); a job queued in
 * the same transaction finishes them if the process dies in between, as for any card refund.
 *
 * What the paying orders cannot take back (a cent of rounding between a term's value and what was
 * paid for it, or money refunded earlier by an operator) goes to the balance, booked on the
 * unsubscribe or change order itself.
 */
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { moveCash } from '../../db/ledger.ts';
import { lockOrder } from '../../db/order-state.ts';
import { insertOrder } from '../../db/orders.ts';
import { loadRefundSources } from '../../db/refunds.ts';
import { ok, type Result } from '../../domain/errors.ts';
import { type Cents, min, sum } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import { planRefund } from '../../domain/refund-plan.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { applyRefund, finishCardRefundNow } from '../refunds/refund-order.ts';

export interface SourceRefund {
  orderId: string;
  refundId: string;
  toCard: Cents;
  toBalance: Cents;
  toVouchers: Cents;
  forfeited: Cents;
}

export interface SourcesRefund {
  parts: SourceRefund[];
  /** what no paying order could take back, credited to the balance on the refunding order */
  toBalanceDirect: Cents;
  /** orders whose card part is owed: finishSourceCardRefunds after the commit */
  cardPending: string[];
}

/** The refund as the order's details show it (amounts in cents; the presenter shows USD). */
function refundDetails(r: SourcesRefund): Record<string, unknown> {
  return {
    refund_to: 'sources',
    refund_to_card_usd_cents: sum(r.parts.map((p) => p.toCard)),
    refund_to_balance_usd_cents: sum(r.parts.map((p) => p.toBalance)) + r.toBalanceDirect,
    refund_to_vouchers_usd_cents: sum(r.parts.map((p) => p.toVouchers)),
    refund_forfeited_usd_cents: sum(r.parts.map((p) => p.forfeited)),
    refunds: r.parts.map((p) => ({
      order_id: p.orderId,
      refund_id: p.refundId,
      to_card_usd_cents: p.toCard,
      to_balance_usd_cents: p.toBalance,
      to_vouchers_usd_cents: p.toVouchers,
    })),
  };
}

/**
 * Refunds `amount` from `orderIds` (the orders that paid for what is refunded, newest first), each
 * up to what is still refundable on it; what they cannot take is left in toBalanceDirect.
 */
export async function refundToSources(
  q: Sql,
  deps: Deps,
  p: {
    accountId: string;
    orderIds: readonly string[];
    amount: Cents;
    refundingOrderId: string;
    reason: string;
    at: Date;
  },
): Promise<Result<SourcesRefund>> {
  const out: SourcesRefund = { parts: [], toBalanceDirect: 0, cardPending: [] };
  let left = p.amount;
  for (const orderId of p.orderIds) {
    if (left <= 0) break;
    if (orderId === p.refundingOrderId) continue;
    const locked = await lockOrder(q, orderId, p.accountId);
    if (!locked || !['paid', 'partially_refunded'].includes(locked.paymentStatus)) continue;
    const sources = await loadRefundSources(q, orderId, p.at);
    const all = planRefund(sources);
    if (!all.ok) continue; // nothing left on it
    const take = min(left, all.value.refundable);
    const plan = planRefund(sources, take);
    if (!plan.ok) return plan;
    const applied = await applyRefund(q, deps, locked, plan.value, {
      reason: p.reason,
      requestedBy: `order:${p.refundingOrderId}`,
      cause: `${p.reason} (${p.refundingOrderId})`,
      at: p.at,
    });
    if (!applied.ok) return applied;
    left -= take;
    out.parts.push({
      orderId,
      refundId: applied.value.refundId,
      toCard: plan.value.toCard,
      toBalance: plan.value.toBalance,
      toVouchers: sum(plan.value.toVouchers.filter((v) => !v.forfeited).map((v) => v.amount)),
      forfeited: plan.value.forfeited,
    });
    if (applied.value.cardPending) out.cardPending.push(orderId);
  }
  out.toBalanceDirect = left;
  return ok(out);
}

/** The part no paying order could take back, to the balance: after the refunding order is written. */
async function creditDirectPart(
  q: Sql,
  deps: Deps,
  r: SourcesRefund,
  p: { accountId: string; refundingOrderId: string; reason: string; at: Date },
): Promise<void> {
  if (r.toBalanceDirect <= 0) return;
  await moveCash(q, {
    id: deps.ids.next('txn'),
    accountId: p.accountId,
    amount: r.toBalanceDirect,
    cause: 'refund',
    orderId: p.refundingOrderId,
    memo: `${p.reason}: the part no paying order could take back`,
    at: p.at,
  });
}

/** A refunding order (unsubscribe, downgrade) as written, with its refund (null when it refunds nothing). */
export interface RefundingOrder {
  order: Order;
  refund: SourcesRefund | null;
}

/**
 * Inside the caller's transaction (which has applied what the order does): the order's `refunded`
 * amount goes back to the sources (`orderIds`), the order is written with the refund's breakdown
 * in its details, the rest goes to the balance, and the request's key is linked to it.
 */
export async function writeRefundingOrder(
  q: Sql,
  deps: Deps,
  p: {
    order: Order;
    orderIds: () => Promise<string[]>;
    reason: string;
    /** the order's event cause when something was refunded, and when nothing was */
    causes: [refunded: string, nothing: string];
    idem: IdempotencyLink | undefined;
    at: Date;
  },
): Promise<Result<RefundingOrder>> {
  let order = p.order;
  let refund: SourcesRefund | null = null;
  if (order.refunded > 0) {
    const r = await refundToSources(q, deps, {
      accountId: order.accountId,
      orderIds: await p.orderIds(),
      amount: order.refunded,
      refundingOrderId: order.id,
      reason: p.reason,
      at: p.at,
    });
    if (!r.ok) return r;
    refund = r.value;
    order = { ...order, details: { ...order.details, ...refundDetails(refund) } };
  }
  await insertOrder(q, order, refund ? p.causes[0] : p.causes[1]);
  if (refund) {
    await creditDirectPart(q, deps, refund, {
      accountId: order.accountId,
      refundingOrderId: order.id,
      reason: p.reason,
      at: p.at,
    });
  }
  if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
  return ok({ order, refund });
}

/** After the commit: the card parts to the gateway (their jobs retry if this fails); the order. */
export async function finishRefundingOrder(deps: Deps, done: Result<RefundingOrder>): Promise<Result<Order>> {
  if (!done.ok) return done;
  for (const orderId of done.value.refund?.cardPending ?? []) await finishCardRefundNow(deps, orderId);
  return ok(done.value.order);
}
