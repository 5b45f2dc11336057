/**
 * POST /v1/orders/{id}/cancel (SPEC §5 "Cancellation rules"): for now, an ISP order still
 * `waiting_inventory` is cancelled with a full refund. Every other order is 409 invalid_state
 * (bandwidth orders are final once paid; a delivered ISP batch is released, not cancelled).
 *
 * Refunds go back where the money came from. In one transaction (holding the order's lock, so a
 * wait-queue run cannot deliver it meanwhile): the order leaves the queue, its waiting batch is
 * released, the balance part comes back to the balance as a ledger 'refund' entry, and the order
 * becomes `cancelled` and `refunded`, or `refunding` while a card part is still owed. The card
 * part is then refunded through the gateway outside the transaction (`refunded`, or
 * `refund_failed` for an operator to retry); a job queued in the same transaction finishes it if
 * the process dies in between.
 */

import {
  cancelWait,
  changeOrderState,
  listOrderCardPayments,
  lockOrder,
  releaseWaitingBatch,
} from '../db/isp-batches.ts';
import { enqueueJob } from '../db/jobs.ts';
import { moveCash } from '../db/ledger.ts';
import { getOrder } from '../db/orders.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Order } from '../domain/order.ts';
import type { Deps } from './deps.ts';

/** The job that finishes the card part of a refund (payload `{order_id}`). */
export const CARD_REFUND_JOB = 'refund_order_card';

/** How long the inline card refund has before the job takes over. */
const CARD_REFUND_RETRY_SECONDS = 300;

export async function cancelOrder(
  deps: Deps,
  cmd: { accountId: string; orderId: string },
): Promise<Result<Order>> {
  const at = await deps.clock.now();
  const r = await deps.db.tx(async (q): Promise<Result<{ cardOwed: number }>> => {
    const order = await lockOrder(q, cmd.orderId, cmd.accountId);
    if (!order) return err('not_found', `No such order: ${cmd.orderId}`, { param: 'id' });
    if (order.product !== 'isp' || order.status !== 'waiting_inventory' || order.paymentStatus !== 'paid') {
      return err(
        'invalid_state',
        order.product === 'isp'
          ? `an ISP order can be cancelled only while waiting_inventory; this one is ${order.status}`
          : `a paid ${order.product} order is final and cannot be cancelled`,
        { detail: { status: order.status } },
      );
    }
    const batchId = await cancelWait(q, order.id, at);
    if (!batchId || !(await releaseWaitingBatch(q, batchId, at))) {
      throw new Error(`waiting order ${order.id} has no open queue entry or waiting batch`);
    }
    const paidByCard = (await listOrderCardPayments(q, order.id)).reduce((s, p) => s + p.amountCents, 0);
    const owed = order.payable - order.refunded;
    // a card charge may also have covered arrears: the order's card part is at most its payable
    const cardOwed = Math.min(paidByCard, owed);
    const balancePart = owed - cardOwed;
    if (balancePart > 0) {
      await moveCash(q, {
        id: deps.ids.next('txn'),
        accountId: order.accountId,
        amount: balancePart,
        cause: 'refund',
        orderId: order.id,
        memo: 'waiting ISP order cancelled: full refund',
        at,
      });
    }
    const payment = cardOwed > 0 ? 'refunding' : 'refunded';
    await changeOrderState(q, order.id, {
      status: ['waiting_inventory', 'cancelled'],
      paymentStatus: [order.paymentStatus, payment],
      lineStatus: payment,
      refunded: balancePart,
      cause: 'cancelled by the customer while waiting for stock',
      at,
    });
    if (cardOwed > 0) {
      await enqueueJob(q, {
        kind: CARD_REFUND_JOB,
        payload: { order_id: order.id },
        runAt: new Date(at.getTime() + CARD_REFUND_RETRY_SECONDS * 1000),
        dedupeKey: `${CARD_REFUND_JOB}:${order.id}`,
        now: at,
      });
    }
    return ok({ cardOwed });
  });
  if (!r.ok) return r;
  if (r.value.cardOwed > 0) await finishCardRefund(deps, cmd.orderId);
  const order = await getOrder(deps.db, cmd.orderId, cmd.accountId);
  return order ? ok(order) : err('not_found', `No such order: ${cmd.orderId}`, { param: 'id' });
}

/**
 * Refunds to the card what an order in `refunding` still owes (payable − refunded), payment by
 * payment, then records the outcome: `refunded`, or `refund_failed`. Idempotent: the gateway call
 * carries a key of its own, and the outcome is written only while the order is still `refunding`.
 */
export async function finishCardRefund(deps: Deps, orderId: string): Promise<void> {
  const order = await getOrder(deps.db, orderId, null);
  if (order?.paymentStatus !== 'refunding') return;
  let owed = order.payable - order.refunded;
  let refunded = 0;
  let failure: string | null = null;
  for (const p of await listOrderCardPayments(deps.db, orderId)) {
    const amount = Math.min(p.amountCents, owed);
    if (amount <= 0) break;
    if (!p.gatewayChargeId) {
      failure = `payment ${p.id} has no gateway charge`;
      break;
    }
    const res = await deps.gateway.refund({
      chargeId: p.gatewayChargeId,
      amountCents: amount,
      idempotencyKey: `${p.id}:refund:${orderId}`,
      now: await deps.clock.now(),
    });
    if (res.status === 'failed') {
      failure = `${res.code}: ${res.message}`;
      break;
    }
    refunded += amount;
    owed -= amount;
  }
  const at = await deps.clock.now();
  const outcome = failure ? 'refund_failed' : 'refunded';
  if (failure)
    deps.log.error({ orderId, failure }, 'refunding an order to the card failed; an operator must retry');
  await deps.db.tx(async (q) => {
    const locked = await lockOrder(q, orderId, null);
    if (locked?.paymentStatus !== 'refunding') return;
    await changeOrderState(q, orderId, {
      paymentStatus: ['refunding', outcome],
      lineStatus: outcome,
      refunded,
      cause: failure ? `card refund failed: ${failure}` : 'refunded to the card',
      at,
    });
  });
}
