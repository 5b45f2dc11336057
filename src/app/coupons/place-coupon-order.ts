/**
 * Buying a reserved-instance coupon (SPEC §7): `POST /v1/orders {"product":"reserved_instance",
 * spec, count, years}`. KYC required (order gate), prepaid, paid now like any order: the vouchers
 * named, the balance, then the default card for the rest (payments/pay-from-sources.ts). The
 * coupon is created in the paying transaction (settle-coupon-order.ts), which crash recovery runs
 * too for a card payment. Pay later is not offered for coupons.
 */
import { getAccount } from '../../db/accounts.ts';
import { err, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps } from '../deps.ts';
import { type PayNowCommand, payNewOrder } from '../payments/pay-from-sources.ts';
import { type CouponOrderInput, priceCouponOrder } from './price-coupon-order.ts';
import { settleCouponOrder } from './settle-coupon-order.ts';

export interface PlaceCouponOrderCommand extends PayNowCommand {
  input: CouponOrderInput;
  pay?: 'now' | 'later';
}

export async function placeCouponOrder(deps: Deps, cmd: PlaceCouponOrderCommand): Promise<Result<Order>> {
  if (cmd.pay === 'later') {
    return err('invalid_request', 'reserved-instance coupons are paid now (pay: later is not offered)', {
      param: 'pay',
    });
  }
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, 'reserved_instance');
  if (!gate.ok) return gate;
  const priced = await priceCouponOrder(deps.db, deps.ids, account.id, cmd.input, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  return payNewOrder(deps, cmd, { account, order, now }, (q, input) => settleCouponOrder(deps, q, input));
}
