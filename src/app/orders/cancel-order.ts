/**
 * POST /v1/orders/{id}/cancel (SPEC §5 "Cancellation rules"): for now, an ISP order still
 * `waiting_inventory` is cancelled with a full refund. Every other order is 409 invalid_state
 * (bandwidth orders are final once paid; a delivered ISP batch is released, not cancelled).
 *
 * The refund is the refund engine's (refund-order.ts), so it goes back where the money came from.
 * In one transaction (holding the order's lock, so a wait-queue run cannot deliver it meanwhile):
 * the order leaves the queue, its waiting batch is released, the balance and voucher parts come
 * back, and the order becomes `cancelled` and `refunded`, or `refunding` while a card part is
 * still owed. The card part is then refunded through the gateway outside the transaction
 * (`refunded`, or `refund_failed` for an operator to retry); a job queued in the same
 * transaction finishes it if the process dies in between.
 */

import { lockOrder } from '../../db/order-state.ts';
import { getOrder } from '../../db/orders.ts';
import { loadRefundSources } from '../../db/refunds.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { planRefund, type RefundPlan } from '../../domain/refund-plan.ts';
import type { Deps } from '../deps.ts';
import { applyRefund, finishCardRefundNow, leaveWaitQueue } from '../refunds/refund-order.ts';
import { resultTx } from '../result-tx.ts';
import { changeOrderState } from './change-order-state.ts';

// the job kind and its handler live with the engine; kept importable from here (jobs/kinds.ts)
export { CARD_REFUND_JOB, finishCardRefund } from '../refunds/refund-order.ts';

const CANCEL_CAUSE = 'cancelled by the customer while waiting for stock';

export interface CancellationPreview {
  order: Order;
  /** the refund a cancellation would make (null: nothing was paid, nothing comes back) */
  refund: RefundPlan | null;
}

/**
 * POST /v1/orders/{id}/cancel with dry_run: what cancelling would do now — for an ISP order
 * waiting for stock the full refund's plan with its terms, for an unpaid order no refund — or the
 * refusal the cancellation itself would get. Nothing is locked or written.
 */
export async function previewCancellation(
  deps: Deps,
  cmd: { accountId: string; orderId: string },
): Promise<Result<CancellationPreview>> {
  const at = await deps.clock.now();
  const order = await getOrder(deps.db, cmd.orderId, cmd.accountId);
  if (!order) return err('not_found', `No such order: ${cmd.orderId}`, { param: 'id' });
  if (order.paymentStatus === 'pending_payment') return ok({ order, refund: null });
  const refusal = notCancellable(order);
  if (refusal) return refusal;
  const plan = planRefund(await loadRefundSources(deps.db, order.id, at));
  return ok({ order, refund: plan.ok ? plan.value : null });
}

/** The refusal of a paid order's cancellation, or null when it may be cancelled. */
function notCancellable(order: { product: string; status: string; paymentStatus: string }) {
  if (order.product === 'isp' && order.status === 'waiting_inventory' && order.paymentStatus === 'paid') {
    return null;
  }
  return err(
    'invalid_state',
    order.product === 'isp'
      ? `an ISP order can be cancelled only while waiting_inventory; this one is ${order.status}`
      : `a paid ${order.product} order is final and cannot be cancelled`,
    { detail: { status: order.status } },
  );
}

export async function cancelOrder(
  deps: Deps,
  cmd: { accountId: string; orderId: string },
): Promise<Result<Order>> {
  const at = await deps.clock.now();
  const r = await resultTx(deps.db, async (q): Promise<Result<{ cardOwed: number }>> => {
    const order = await lockOrder(q, cmd.orderId, cmd.accountId);
    if (!order) return err('not_found', `No such order: ${cmd.orderId}`, { param: 'id' });
    const refusal = notCancellable(order);
    if (refusal) return refusal;
    await leaveWaitQueue(q, order.id, at);
    const plan = planRefund(await loadRefundSources(q, order.id, at));
    if (!plan.ok) {
      // nothing was paid (a free order): only the cancellation itself
      await changeOrderState(q, order.id, {
        status: ['waiting_inventory', 'cancelled'],
        cause: CANCEL_CAUSE,
        at,
      });
      return ok({ cardOwed: 0 });
    }
    const applied = await applyRefund(q, deps, order, plan.value, {
      reason: 'waiting ISP order cancelled: full refund',
      requestedBy: `customer:${order.accountId}`,
      cause: CANCEL_CAUSE,
      status: ['waiting_inventory', 'cancelled'],
      at,
    });
    // an error result rolls the queue and the batch back with the refusal
    if (!applied.ok) return applied;
    return ok({ cardOwed: plan.value.toCard });
  });
  if (!r.ok) return r;
  if (r.value.cardOwed > 0) await finishCardRefundNow(deps, cmd.orderId);
  const order = await getOrder(deps.db, cmd.orderId, cmd.accountId);
  return order ? ok(order) : err('not_found', `No such order: ${cmd.orderId}`, { param: 'id' });
}
