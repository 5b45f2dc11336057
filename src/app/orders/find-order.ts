/** Reading orders: one (with its events) or a filtered page (SPEC §4, §8). */
import { getOrder, listOrderEvents, listOrders, type OrderFilter } from '../../db/orders.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order, OrderEvent } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';

/** accountId null: an operator sees any account's order. Another tenant's order is not_found. */
export async function findOrder(
  deps: Deps,
  accountId: string | null,
  id: string,
): Promise<Result<{ order: Order; events: OrderEvent[] }>> {
  const order = await getOrder(deps.db, id, accountId);
  if (!order) return err('not_found', `No such order: ${id}`, { param: 'id' });
  return ok({ order, events: await listOrderEvents(deps.db, id) });
}

export async function searchOrders(deps: Deps, filter: OrderFilter): Promise<Result<Order[]>> {
  // createdTo is exclusive: an empty range is a mistake, not an empty page
  if (filter.createdFrom && filter.createdTo && filter.createdFrom >= filter.createdTo) {
    return err('invalid_request', 'created_from must not be after created_to', { param: 'created_from' });
  }
  return ok(await listOrders(deps.db.read, { ...filter, limit: filter.limit + 1 }));
}
