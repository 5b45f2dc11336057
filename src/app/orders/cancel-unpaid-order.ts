/**
 * Cancelling an order placed with `"pay": "later"` that is still `pending_payment` (SPEC §4): by
 * the customer (POST /v1/orders/{id}/cancel, dispatched here by the route while the order is
 * unpaid) or by the system when its time to pay has run out (orders.unpaid_cancel_at: 24 h, 1 h
 * when it holds ISP stock; config.unpaidOrderSeconds). Nothing was taken, so nothing is refunded:
 * the IPs held for it go back to stock (wait queue run, stock alerts evaluated), the quoted
 * voucher deduction goes back to 0.00, the order and its lines become `cancelled`, and the
 * `order.cancelled` event is written, all in one transaction holding the country's stock lock (ISP)
 * and the order's lock. Paying takes the order's lock first (pay-pending-order.ts), so of a payment and a
 * cancellation exactly one wins and the other gets 409 invalid_state. A card payment in flight
 * reserves the order: the cancellation is 409 request_in_progress (the system's: skipped, and the
 * sweep comes back) until it is settled or failed.
 *
 * The system's side: a one-off job `cancel_unpaid_order` queued at each unpaid order's deadline,
 * and the periodic sweep `cancel_unpaid_orders` as a safety net; both cancel every order due now.
 */

import { presentOrder } from '../../contract/order.ts';
import type { Sql } from '../../db/client.ts';
import { releaseHeldIps } from '../../db/isp-held-ips.ts';
import { lockIspStock } from '../../db/isp-stock.ts';
import { enqueueJob } from '../../db/jobs.ts';
import { lockOrder } from '../../db/order-state.ts';
import { getOrder, listDueUnpaidOrders, setOrderAmounts } from '../../db/orders.ts';
import { hasProcessingPayment } from '../../db/payments.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import { evaluateStockAlerts } from '../inventory/evaluate-stock-alerts.ts';
import { enqueueWaitQueueRun } from '../isp/serve-wait-queue.ts';
import { resultTx } from '../result-tx.ts';
import { withVouchers } from '../vouchers/plan-vouchers.ts';
import { emitEvent } from '../webhooks/emit-event.ts';
import { changeOrderState } from './change-order-state.ts';

/** The one-off job at an unpaid order's deadline (payload `{order_id}`; it sweeps all due). */
export const CANCEL_UNPAID_JOB = 'cancel_unpaid_order';
/** The periodic safety net. */
export const CANCEL_UNPAID_SWEEP_JOB = 'cancel_unpaid_orders';

/** Queues the system's cancellation of an unpaid order at its deadline, in the placing transaction. */
export async function scheduleUnpaidCancel(q: Sql, orderId: string, due: Date, now: Date): Promise<void> {
  await enqueueJob(q, {
    kind: CANCEL_UNPAID_JOB,
    payload: { order_id: orderId },
    runAt: due,
    dedupeKey: `${CANCEL_UNPAID_JOB}:${orderId}`,
    now,
  });
}

/** "24 h", "1 h", "90 min": how long an unpaid order may wait, for the cancellation's cause. */
function describeSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;
}

export async function cancelUnpaidOrder(
  deps: Deps,
  cmd: { accountId: string | null; orderId: string; cause: string },
): Promise<Result<Order>> {
  const at = await deps.clock.now();
  const first = await getOrder(deps.db, cmd.orderId, cmd.accountId);
  if (!first) return notFound(cmd.orderId);
  // an ISP order holds stock: the country's stock lock before the order's, as every flow that
  // returns IPs to stock takes them (release-batch.ts)
  const country = first.product === 'isp' ? (first.details.country as string) : null;
  return resultTx(deps.db, async (q): Promise<Result<Order>> => {
    if (country) await lockIspStock(q, country);
    const locked = await lockOrder(q, cmd.orderId, cmd.accountId);
    if (!locked) return notFound(cmd.orderId);
    if (locked.paymentStatus !== 'pending_payment') {
      return err(
        'invalid_state',
        `order ${locked.id} is ${locked.paymentStatus}; only a pending_payment order is cancelled this way`,
        { detail: { status: locked.status, payment_status: locked.paymentStatus } },
      );
    }
    // a card payment in flight reserves the order (pay-pending-order.ts): it settles or fails first
    if (await hasProcessingPayment(q, locked.id)) {
      return err(
        'request_in_progress',
        `A card payment for order ${locked.id} is in progress; it cannot be cancelled until it is settled`,
      );
    }
    const current = await getOrder(q, locked.id, null);
    if (!current) return notFound(cmd.orderId);
    // the vouchers were only quoted, never spent: a cancelled order shows no deduction
    if (current.voucher > 0) await setOrderAmounts(q, withVouchers(current, 0, false));
    const released = await releaseHeldIps(q, locked.id, at);
    await changeOrderState(q, locked.id, {
      status: [locked.status, 'cancelled'],
      paymentStatus: [locked.paymentStatus, 'cancelled'],
      lineStatus: 'cancelled',
      cause: cmd.cause,
      at,
    });
    if (country && released.length > 0) {
      // stock back: orders waiting for it get the first chance, and alerts may fire
      await enqueueWaitQueueRun(q, at, country);
      await evaluateStockAlerts(q, deps, [country], at, released);
    }
    const order = await getOrder(q, locked.id, null);
    if (!order) return notFound(cmd.orderId);
    await emitEvent(q, deps, {
      accountId: order.accountId,
      type: 'order.cancelled',
      data: presentOrder(order),
      at,
    });
    return ok(order);
  });
}

function notFound(id: string) {
  return err('not_found', `No such order: ${id}`, { param: 'id' });
}

/** Cancels every unpaid order whose deadline has passed; returns how many it cancelled. */
export async function cancelDueUnpaidOrders(deps: Deps, limit = 100): Promise<number> {
  const now = await deps.clock.now();
  const { default: def, holdingStock } = deps.config.unpaidOrderSeconds;
  let cancelled = 0;
  for (const o of await listDueUnpaidOrders(deps.db, now, limit)) {
    const r = await cancelUnpaidOrder(deps, {
      accountId: null,
      orderId: o.id,
      cause: `not paid within ${describeSeconds(o.holdsStock ? holdingStock : def)}`,
    });
    // invalid_state: paid (or cancelled) since it was listed — the payment won;
    // request_in_progress: a card payment is in flight — a later sweep decides
    if (r.ok) cancelled += 1;
  }
  return cancelled;
}
