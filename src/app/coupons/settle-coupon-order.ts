import type { Sql } from '../../db/client.ts';
import { insertCoupons } from '../../db/reserved-instances.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import { writePaidOrder } from '../orders/write-paid-order.ts';
import {
  draftVouchers,
  type OrderPaymentSettler,
  paidCause,
  type SettleInput,
  takeGatedPayment,
} from '../payments/take-payment.ts';

/** Whether an order is a coupon purchase (its settler is settleCouponOrder). */
export function isCouponPurchase(order: Order): boolean {
  return order.product === 'reserved_instance' && order.type === 'new';
}

/** A coupon purchase's card payment, settled from its draft (crash recovery, and the request). */
export const settleCouponOrderPayment: OrderPaymentSettler = (deps, q, order, payment, idem, at) =>
  settleCouponOrder(deps, q, { order, vouchers: draftVouchers(payment), card: payment, idem, at });

export async function settleCouponOrder(deps: Deps, q: Sql, p: SettleInput): Promise<Result<Order>> {
  const { order, at } = p;
  const taken = await takeGatedPayment(deps, q, p);
  if (!taken.ok) return taken;
  const paid: Order = { ...taken.value, updatedAt: at };
  await writePaidOrder(q, deps.ids, paid, paidCause(paid, p.card !== null), p.idem);
  const d = order.details;
  const line = paid.lines[0]!;
  await insertCoupons(
    q,
    [
      {
        id: d.reserved_instance_id as string,
        accountId: order.accountId,
        spec: d.spec as string,
        count: d.count as number,
        years: d.years as number,
        // what was paid for it: cash and vouchers (the line's price after every discount)
        valueCents: line.payable + line.voucher,
        termStartsAt: new Date(d.starts_at as string),
        termEndsAt: new Date(d.ends_at as string),
        startsAt: new Date(d.starts_at as string),
        endsAt: new Date(d.ends_at as string),
        createdByOrderId: order.id,
      },
    ],
    at,
  );
  return ok(paid);
}
