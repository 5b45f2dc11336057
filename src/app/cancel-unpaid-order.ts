/**
 * Cancelling an order placed with `"pay": "later"` that is still `pending_payment` (SPEC §4): by
 * the customer (POST /v1/orders/{id}/cancel, dispatched here by the route while the order is
 * unpaid) or by the system when its time to pay has run out (orders.unpaid_cancel_at: 24 h, 1 h
 * when it holds ISP stock; config.unpaidOrderSeconds). Nothing was taken, so nothing is refunded:
 * the IPs held for it go back to stock, the order and its lines become `cancelled`, and the
 * `order.cancelled` event is written, all in one transaction holding the order's lock. Paying
 * takes the same lock first (pay-order.ts), so of a payment and a cancellation exactly one wins
 * and the other gets 409 invalid_state.
 *
 * The system's side: a one-off job `cancel_unpaid_order` queued at each unpaid order's deadline,
 * and the periodic sweep `cancel_unpaid_orders` as a safety net; both cancel every order due now.
 */

import type { Sql } from '../db/client.ts';
import { changeOrderState, lockOrder, releaseHeldIps } from '../db/isp-batches.ts';
import { enqueueJob } from '../db/jobs.ts';
import { getOrder, listDueUnpaidOrders } from '../db/orders.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Order } from '../domain/order.ts';
import { presentOrder } from '../http/present.ts';
import type { Deps } from './deps.ts';
import { emitEvent } from './emit-event.ts';
import { enqueueWaitQueueRun } from './serve-wait-queue.ts';

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
export function describeSeconds(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;
}

export async function cancelUnpaidOrder(
  deps: Deps,
  cmd: { accountId: string | null; orderId: string; cause: string },
): Promise<Result<Order>> {
  const at = await deps.clock.now();
  return deps.db.tx(async (q): Promise<Result<Order>> => {
    const locked = await lockOrder(q, cmd.orderId, cmd.accountId);
    if (!locked) return err('not_found', `No such order: ${cmd.orderId}`, { param: 'id' });
    if (locked.paymentStatus !== 'pending_payment') {
      return err(
        'invalid_state',
        `order ${locked.id} is ${locked.paymentStatus}; only a pending_payment order is cancelled this way`,
        { detail: { status: locked.status, payment_status: locked.paymentStatus } },
      );
    }
    const released = await releaseHeldIps(q, locked.id, at);
    await changeOrderState(q, locked.id, {
      status: ['pending_payment', 'cancelled'],
      paymentStatus: ['pending_payment', 'cancelled'],
      lineStatus: 'cancelled',
      cause: cmd.cause,
      at,
    });
    // stock back: orders waiting for it get the first chance
    if (released > 0) await enqueueWaitQueueRun(q, at, locked.details.country as string);
    const order = await getOrder(q, locked.id, null);
    if (!order) throw new Error(`order ${locked.id} vanished while cancelled`);
    await emitEvent(q, deps, {
      accountId: order.accountId,
      type: 'order.cancelled',
      data: presentOrder(order),
      at,
    });
    return ok(order);
  });
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
    // invalid_state: paid (or cancelled) since it was listed — the payment won
    if (r.ok) cancelled += 1;
  }
  return cancelled;
}
