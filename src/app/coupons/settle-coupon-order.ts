/**
 * Settling a coupon purchase in the paying transaction (the request's, and crash recovery's via
 * payments/settle-order-payment.ts): take the money (vouchers, the card's money, the balance),
 * write the paid order and create the coupon it names. An error return means the caller rolls
 * back (and a card charged for it is refunded by chargeThenSettle).
 */
import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import type { Payment } from '../../db/payments.ts';
import { insertCoupons } from '../../db/reserved-instances.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { writePaidOrder } from '../orders/write-paid-order.ts';
import { draftVouchers, type OrderPaymentSettler, paidCause, takePayment } from '../payments/take-payment.ts';

/** Whether an order is a coupon purchase (its settler is settleCouponOrder). */
export function isCouponPurchase(order: Order): boolean {
  return order.product === 'reserved_instance' && order.type === 'new';
}

/** A coupon purchase's card payment, settled from its draft (crash recovery, and the request). */
export const settleCouponOrderPayment: OrderPaymentSettler = (deps, q, order, payment, idem, at) =>
  settleCouponOrder(deps, q, { order, vouchers: draftVouchers(payment), card: payment, idem, at });

export async function settleCouponOrder(
  deps: Deps,
  q: Sql,
  p: {
    order: Order;
    vouchers: readonly string[];
    card: Payment | null;
    idem: IdempotencyLink | undefined;
    at: Date;
  },
): Promise<Result<Order>> {
  const { order, at } = p;
  const account = await getAccount(q, order.accountId, { forUpdate: true });
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const taken = await takePayment(deps, q, { order, vouchers: p.vouchers, card: p.card, at });
  if (!taken.ok) {
    if (!p.card || taken.error.detail?.decline_code !== 'balance_changed') return taken;
    return err(
      'insufficient_balance',
      'The balance changed while the card was charged; the charge was refunded',
      { detail: { decline_code: 'balance_changed' } },
    );
  }
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
