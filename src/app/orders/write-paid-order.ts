import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { movePool } from '../../db/ledger.ts';
import { insertOrder } from '../../db/orders.ts';
import type { Order } from '../../domain/order.ts';
import type { Ids } from '../../ids.ts';
import type { IdempotencyLink } from '../deps.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import { BYTES_PER_GB } from './price-order.ts';

/** Writes a paid order and what it delivers, inside the caller's transaction. */
export async function writePaidOrder(
  q: Sql,
  ids: Ids,
  order: Order,
  cause: string,
  idem?: IdempotencyLink,
): Promise<void> {
  await insertOrder(q, order, cause);
  const gb = order.details.gb;
  if (typeof gb === 'number') {
    await movePool(q, {
      id: ids.next('txn'),
      accountId: order.accountId,
      product: order.product,
      amount: gb * BYTES_PER_GB,
      cause: 'order',
      orderId: order.id,
      at: order.createdAt,
    });
  }
  if (idem) await attachResource(q, idem.scope, idem.key, 'order', order.id);
  await emitOrderPaidEvents(q, { ids }, order, order.updatedAt);
}
