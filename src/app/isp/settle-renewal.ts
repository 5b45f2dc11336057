/** Settling a renewal's payment in the paying transaction (the request's, and crash recovery's). */
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { type Batch, getBatch } from '../../db/isp-batch-queries.ts';
import { extendBatch } from '../../db/isp-expiry.ts';
import { insertOrder } from '../../db/orders.ts';
import type { Payment } from '../../db/payments.ts';
import { canRenew } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { type OrderPaymentSettler, takePayment } from '../payments/take-payment.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';

export function notRenewable(b: Batch) {
  return err(
    'invalid_state',
    b.status === 'released'
      ? `Batch ${b.id} is released (its grace period is over or it was released); its IPs are back in stock`
      : `Batch ${b.id} is ${b.status}; only a ready batch, or an expired one within its grace period, can be renewed`,
    { detail: { status: b.status } },
  );
}

/** Whether a card payment pays a renewal (its draft names the batch). */
export function isRenewDraft(payment: Payment): boolean {
  const renew = (payment.draft as { renew?: { batch_id?: unknown } } | null)?.renew;
  return typeof renew?.batch_id === 'string';
}

/**
 * Settles a renewal's card payment from its draft (crash recovery, through settleOrderPayment):
 * exactly as the request would have, against the expiry the renewal was priced from.
 */
export const settleRenewalPayment: OrderPaymentSettler = (deps, q, order, payment, idem, at) => {
  const oldExpiresAt = new Date(order.details.previous_expires_at as string);
  return settleRenewal(deps, q, { order, oldExpiresAt, card: payment, idem, at });
};

/**
 * In the paying transaction: lock the batch, check it still expires when it did, take the money
 * (the card's first when it paid a part), write the order and extend the batch. An error return
 * means the caller rolls back.
 */
export async function settleRenewal(
  deps: Deps,
  q: Sql,
  p: { order: Order; oldExpiresAt: Date; card: Payment | null; idem: IdempotencyLink | undefined; at: Date },
): Promise<Result<Order>> {
  const { order, at } = p;
  const batchId = order.details.batch_id as string;
  const batch = await getBatch(q, batchId, order.accountId, { forUpdate: true });
  if (!batch) return err('not_found', `No such ISP batch: ${batchId}`, { param: 'id' });
  if (!canRenew(batch.status, at, batch.graceUntil)) return notRenewable(batch);
  if (batch.expiresAt?.getTime() !== p.oldExpiresAt.getTime()) {
    return err('invalid_state', `Batch ${batch.id} was renewed meanwhile; its expiry changed`, {
      detail: { status: batch.status },
    });
  }
  const taken = await takePayment(deps, q, { order, vouchers: [], card: p.card, at });
  if (!taken.ok) return taken;
  const paid: Order = { ...taken.value, updatedAt: at, createdAt: order.createdAt };
  await insertOrder(q, paid, p.card ? 'renewal paid from balance and card' : 'renewal paid from balance');
  await emitOrderPaidEvents(q, deps, paid, at);
  const newExpiresAt = new Date(order.details.expires_at as string);
  if (!(await extendBatch(q, batchId, { oldExpiresAt: p.oldExpiresAt, newExpiresAt, at }))) {
    // an error result, not a throw: the caller rolls back and a card charged for it is refunded
    return err('invalid_state', `Batch ${batchId} could not be extended; nothing was renewed`, {
      detail: { status: batch.status },
    });
  }
  if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
  return ok(paid);
}
