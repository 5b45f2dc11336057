/** A quote's checks and payment (POST /v1/orders/quote, SPEC §4): what would refuse the order now, and how it would be paid. */
import type { Cents } from './money.ts';
import type { Order } from './order.ts';
import { splitPayment } from './payment-split.ts';

/** A check that would refuse the order now. */
export interface QuoteCheck {
  /** the error code the order would get */
  code: string;
  message: string;
}

/** How a quote's payable would be paid now, by source (integer cents). */
export interface QuotePayment {
  fromVoucher: number;
  fromBalance: number;
  fromCard: number;
  arrearsCovered: number;
}

/** An order as a quote shows it: priced, nothing paid, every line pending payment. */
export function asUnpaid(order: Order): Order {
  return {
    ...order,
    status: 'pending_payment',
    paymentStatus: 'pending_payment',
    paid: 0,
    lines: order.lines.map((l) => ({ ...l, status: 'pending_payment', paid: 0 })),
  };
}

/**
 * How `payable` would be paid now from the vouchers, the balance and the card (SPEC §5), and the
 * check that would refuse it: a rest for the card with no card on file.
 */
export function quotePayment(
  payable: Cents,
  account: { balanceCents: Cents; defaultPaymentMethodId: string | null },
  voucherAvailable: Cents = 0,
): { payment: QuotePayment; checks: QuoteCheck[] } {
  const split = splitPayment({ payable, balance: account.balanceCents, voucherAvailable });
  const checks: QuoteCheck[] =
    split.fromCard > 0 && !account.defaultPaymentMethodId
      ? [
          {
            code: 'insufficient_balance',
            message: 'The balance does not cover this order and there is no default payment method',
          },
        ]
      : [];
  return {
    payment: {
      fromVoucher: split.fromVoucher,
      fromBalance: split.fromBalance,
      fromCard: split.fromCard,
      arrearsCovered: split.arrearsCovered,
    },
    checks,
  };
}
