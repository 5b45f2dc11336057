import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { allocateHeldIps } from '../../db/isp-held-ips.ts';
import { insertBatch } from '../../db/isp-new-batches.ts';
import { movePool } from '../../db/ledger.ts';
import { type LockedOrder, lockOrder } from '../../db/order-state.ts';
import { getOrder, getPayLater, type PayLaterRecord, setOrderAmounts } from '../../db/orders.ts';
import { hasProcessingPayment, type Payment } from '../../db/payments.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { enqueueProvisioning } from '../isp/enqueue-provisioning.ts';
import { paidCause, takePayment } from '../payments/take-payment.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import { changeOrderState } from './change-order-state.ts';
import { BYTES_PER_GB } from './price-order.ts';

export function notFound(id: string) {
  return err('not_found', `No such order: ${id}`, { param: 'id' });
}

export function notPayable(o: { id: string; paymentStatus: string }) {
  return err(
    'invalid_state',
    `order ${o.id} is ${o.paymentStatus}; only a pending_payment order can be paid`,
    {
      detail: { payment_status: o.paymentStatus },
    },
  );
}

/**
 * Pays a pending_payment order in the caller's transaction (also the settler of its card payment,
 * from the request or from crash recovery): the order's lock first, so paying and cancelling the
 * same order serialize and exactly one wins (the other: 409 invalid_state, and a card already
 * charged is refunded by the caller). Then the payment, the amounts, what the order delivers
 * (traffic; or the batch from the held IPs and its provisioning job) and the `order.paid` events.
 * Every refusal is an error result (never a throw), so a card charged for it is refunded.
 */
export async function settlePendingOrderPayment(
  deps: Deps,
  q: Sql,
  draft: Order,
  vouchers: readonly string[],
  card: Payment | null,
  idem: IdempotencyLink | undefined,
  at: Date,
): Promise<Result<Order>> {
  const locked = await lockOrder(q, draft.id, draft.accountId);
  if (!locked) return notFound(draft.id);
  if (locked.paymentStatus !== 'pending_payment') return notPayable(locked);
  // paid without a card while a card payment for it is in flight: that payment decides
  if (!card && (await hasProcessingPayment(q, locked.id))) return paymentInFlight(locked.id);
  // one query at a time: this runs inside a transaction
  const order = await getOrder(q, draft.id, draft.accountId);
  const record = await getPayLater(q, draft.id);
  const account = await getAccount(q, draft.accountId, { forUpdate: true });
  if (!order || !account) return notFound(draft.id);
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const paid = await takePayment(deps, q, { order, vouchers, card, at });
  if (!paid.ok) return paid;
  await setOrderAmounts(q, paid.value);
  const cause = paidCause(paid.value, card !== null, true);
  const delivered =
    order.product === 'isp'
      ? await deliverHeldIps(deps, q, { locked, order, isp: record?.isp, cause, at })
      : await deliverTraffic(deps, q, { locked, order, cause, at });
  if (!delivered.ok) return delivered;
  if (idem) await attachResource(q, idem.scope, idem.key, 'order', order.id);
  const final = await getOrder(q, order.id, order.accountId);
  if (!final) return notFound(order.id);
  await emitOrderPaidEvents(q, deps, final, at);
  return ok(final);
}

function paymentInFlight(orderId: string) {
  return err('request_in_progress', `A card payment for order ${orderId} is in progress; retry later`);
}

interface Delivery {
  locked: LockedOrder;
  order: Order;
  cause: string;
  at: Date;
}

/** A paid bandwidth order: its traffic to the pool, and completed. */
async function deliverTraffic(deps: Deps, q: Sql, d: Delivery): Promise<Result<void>> {
  const { order, at } = d;
  const gb = order.details.gb;
  if (typeof gb === 'number') {
    await movePool(q, {
      id: deps.ids.next('txn'),
      accountId: order.accountId,
      product: order.product,
      amount: gb * BYTES_PER_GB,
      cause: 'order',
      orderId: order.id,
      at,
    });
  }
  await changeOrderState(q, order.id, {
    status: [d.locked.status, 'completed'],
    paymentStatus: [d.locked.paymentStatus, 'paid'],
    lineStatus: 'paid',
    cause: d.cause,
    at,
  });
  return ok(undefined);
}

/** A paid ISP order: its batch from the IPs held for it, provisioning. */
async function deliverHeldIps(
  deps: Deps,
  q: Sql,
  d: Delivery & { isp: PayLaterRecord['isp'] },
): Promise<Result<void>> {
  const { order, at, isp } = d;
  const batchId = order.details.batch_id as string;
  const quantity = order.details.quantity as number;
  const ips = isp ? await allocateHeldIps(q, order.id, batchId, at) : [];
  if (!isp || ips.length !== quantity) {
    // an invariant broken (the held IPs are gone): refuse, so a card charged for it is refunded
    deps.log.error({ orderId: order.id, held: ips.length, quantity }, 'unpaid ISP order lost its held IPs');
    return err('invalid_state', `order ${order.id} no longer holds its ${quantity} IPs; it cannot be paid`, {
      detail: { held: ips.length, quantity },
    });
  }
  const expiresAt = addMonths(at, isp.months);
  await insertBatch(
    q,
    {
      id: batchId,
      accountId: order.accountId,
      orderId: order.id,
      subuserId: isp.subuserId,
      country: order.details.country as string,
      city: order.details.city as string | null,
      asn: order.details.asn as number | null,
      quantity: ips.length,
      months: isp.months,
      status: 'provisioning',
      autoRenew: isp.autoRenew,
      substitution: (order.details.substitution as never) ?? null,
      periodStartedAt: at,
      expiresAt,
      at,
    },
    ips,
  );
  await enqueueProvisioning(deps, q, batchId, order.details.country as string, at);
  await changeOrderState(q, order.id, {
    status: [d.locked.status, 'provisioning'],
    paymentStatus: [d.locked.paymentStatus, 'paid'],
    lineStatus: 'paid',
    term: { startsAt: at, endsAt: expiresAt },
    details: { expires_at: expiresAt.toISOString() },
    cause: d.cause,
    at,
  });
  return ok(undefined);
}
