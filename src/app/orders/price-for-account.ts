import { type Account, getAccount } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps } from '../deps.ts';
import type { PlaceOrderCommand } from './place-order-command.ts';
import { priceOrder } from './price-order.ts';

/** A bandwidth order's account (gated) and its price draft, read side by side. */
export async function priceForAccount(
  deps: Deps,
  cmd: PlaceOrderCommand,
  now: Date,
): Promise<Result<{ account: Account; order: Order }>> {
  const [account, priced] = await Promise.all([
    getAccount(deps.db, cmd.accountId),
    priceOrder(deps.db, deps.ids, cmd.accountId, cmd.input, now),
  ]);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, cmd.input.product);
  if (!gate.ok) return gate;
  if (!priced.ok) return priced;
  return ok({ account, order: priced.value });
}
