import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertBatch } from '../../db/isp-new-batches.ts';
import { insertWait } from '../../db/isp-wait-queue.ts';
import { insertOrder } from '../../db/orders.ts';
import type { Payment } from '../../db/payments.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { IspPriceBook } from '../../domain/isp-pricing.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { paidCause, takePayment } from '../payments/take-payment.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import {
  allocatedOrder,
  allocateStock,
  type IspRequest,
  shortError,
  substitutionRecord,
} from './allocate-stock.ts';
import { enqueueProvisioning } from './enqueue-provisioning.ts';

/**
 * Inside the paying transaction: claim the stock, take the money (the card's first when it paid
 * a part), write the order, the batch and its IPs, and queue what comes next. An error return
 * means the caller must roll back.
 */
export async function fulfilIspOrder(
  deps: Deps,
  q: Sql,
  p: {
    draft: Order;
    req: IspRequest;
    book: IspPriceBook;
    vouchers: readonly string[];
    card: Payment | null;
    idem: IdempotencyLink | undefined;
    at: Date;
    /**
     * runs after the stock is claimed and before the payment (the card's settlement: lock the
     * account and check it may still order); the claim must come first in the transaction, see
     * allocateStock
     */
    gate?: () => Promise<Result<void>>;
  },
): Promise<Result<Order>> {
  const { draft, req, at } = p;
  const batchId = draft.details.batch_id as string;
  const alloc = await allocateStock(q, req, batchId, at);
  if (alloc.kind === 'short') return shortError(req, alloc.available);
  if (p.gate) {
    const gate = await p.gate();
    if (!gate.ok) return gate;
  }

  const claimed = alloc.kind === 'claimed' ? alloc : null;
  const expiresAt = claimed ? addMonths(at, req.months) : null;
  const order = allocatedOrder({
    draft,
    req,
    book: p.book,
    claimed,
    term: expiresAt ? { startsAt: at, expiresAt } : null,
  });
  const substitution = claimed?.substitute ? substitutionRecord(req, claimed.substitute) : null;

  const paid = await takePayment(deps, q, { order, vouchers: p.vouchers, card: p.card, at });
  if (!paid.ok) return paid;
  await insertOrder(q, paid.value, paidCause(paid.value, p.card !== null));
  await insertBatch(
    q,
    {
      id: batchId,
      accountId: order.accountId,
      orderId: order.id,
      subuserId: req.subuserId,
      country: req.country,
      city: order.details.city as string | null,
      asn: order.details.asn as number | null,
      quantity: req.quantity,
      months: req.months,
      status: claimed ? 'provisioning' : 'waiting_inventory',
      autoRenew: req.autoRenew,
      substitution,
      periodStartedAt: claimed ? at : null,
      expiresAt,
      at,
    },
    claimed ? claimed.ips.map((i) => i.id) : [],
  );
  if (claimed) {
    await enqueueProvisioning(deps, q, batchId, req.country, at);
  } else {
    await insertWait(q, {
      orderId: order.id,
      batchId,
      accountId: order.accountId,
      country: req.country,
      city: req.city,
      asn: req.asn,
      quantity: req.quantity,
      queuedAt: at,
    });
  }
  if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
  await emitOrderPaidEvents(q, deps, paid.value, at);
  return ok(paid.value);
}
