/**
 * The shell of an order with nothing payable (an unsubscribe, a postpaid change, a temporary
 * upgrade's revert, a trial): every amount 0 on the order and on each of its line items, the
 * order completed. What it refunds, if anything, is `refunded`.
 */
import type { LineAmounts, LineItem, Order } from '../../domain/order.ts';
import type { PaymentStatus } from '../../domain/order-states.ts';
import type { Deps } from '../deps.ts';

export const ZERO_AMOUNTS: Readonly<LineAmounts> = {
  original: 0,
  discount: 0,
  voucher: 0,
  payable: 0,
  paid: 0,
};

/** A line of nothing payable: the fields the caller gives, every amount 0. */
export function zeroLine(
  deps: Pick<Deps, 'ids'>,
  l: Omit<LineItem, 'id' | keyof LineAmounts | 'unitPrice4'> & { unitPrice4?: number },
): LineItem {
  return { id: deps.ids.next('oli'), unitPrice4: 0, ...ZERO_AMOUNTS, ...l };
}

export function zeroOrder(
  deps: Pick<Deps, 'ids'>,
  o: Pick<Order, 'accountId' | 'product' | 'type' | 'paymentMode' | 'details' | 'lines'> & {
    refunded?: number;
    at: Date;
  },
): Order {
  const refunded = o.refunded ?? 0;
  const paymentStatus: PaymentStatus = refunded > 0 ? 'refunded' : 'paid';
  return {
    id: deps.ids.next('ord'),
    accountId: o.accountId,
    product: o.product,
    type: o.type,
    status: 'completed',
    paymentStatus,
    paymentMode: o.paymentMode,
    ...ZERO_AMOUNTS,
    refunded,
    details: o.details,
    lines: o.lines,
    unpaidCancelAt: null,
    createdAt: o.at,
    updatedAt: o.at,
  };
}
