/**
 * A retry under an Idempotency-Key whose first request may have died after charging the card:
 * finish that payment first (recover-payments.ts) and answer with its order, rather than charging
 * a second time.
 */
import { readKey } from '../../db/idempotency.ts';
import { getOrder } from '../../db/orders.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { recoverPaymentsForKey } from './recover-payments.ts';

export async function earlierOrderForKey(
  deps: Deps,
  accountId: string,
  idem: IdempotencyLink,
): Promise<Result<Order> | null> {
  const counts = await recoverPaymentsForKey(deps, idem);
  if (counts.pending > 0) {
    return err(
      'request_in_progress',
      'An earlier payment under this Idempotency-Key is still being settled; retry later',
    );
  }
  if (counts.settled === 0) return null;
  const row = await readKey(deps.db, idem.scope, idem.key);
  const order =
    row?.resourceType === 'order' && row.resourceId
      ? await getOrder(deps.db, row.resourceId, accountId)
      : null;
  return order ? ok(order) : null;
}
