/**
 * Paying a priced change of an existing server now — an upgrade, a renewal, a charged temporary
 * upgrade: the balance, then the default card, settled in the paying transaction by the order
 * type's settler (settle-server-term.ts, settle-temp-upgrade.ts).
 */
import type { Sql } from '../../db/client.ts';
import type { Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { payFromSources } from '../payments/pay-from-sources.ts';
import type { SettleInput } from '../payments/take-payment.ts';

/** Pays a priced change of an existing server now (the balance, then the default card), settled by `settle`. */
export function payServerChange(
  deps: Deps,
  cmd: { accountId: string; idem?: IdempotencyLink; afterCharge?: () => Promise<void> },
  order: Order,
  now: Date,
  settle: (deps: Deps, q: Sql, p: SettleInput) => Promise<Result<Order>>,
): Promise<Result<Order>> {
  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      order,
      vouchers: [],
      now,
      idem: cmd.idem,
      draft: { order },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) => settle(deps, q, { order, vouchers: [], card, idem: cmd.idem, at }),
  );
}
