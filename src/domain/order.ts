/**
 * The order and its line items as the spec shapes them (SPEC §4, §8): each line carries
 * original − discount − voucher = payable, and paid; the order's amounts are the sums of its lines.
 */
import { type Cents, sum } from './money.ts';
import type { FulfilmentStatus, LineItemStatus, OrderType, PaymentStatus } from './order-states.ts';
import type { PaymentMode } from './payment-split.ts';

export type { PaymentMode };

export interface LineAmounts {
  original: Cents;
  discount: Cents;
  voucher: Cents;
  payable: Cents;
  paid: Cents;
}

export interface LineItem extends LineAmounts {
  id: string;
  product: string;
  config: Record<string, unknown>;
  previousConfig: Record<string, unknown> | null;
  paymentMode: PaymentMode;
  duration: string | null;
  instanceId: string | null;
  status: LineItemStatus;
  quantity: number;
  unitPrice4: number;
  startsAt: Date | null;
  endsAt: Date | null;
}

export interface Order extends LineAmounts {
  id: string;
  accountId: string;
  product: string;
  type: OrderType;
  status: FulfilmentStatus;
  paymentStatus: PaymentStatus;
  paymentMode: PaymentMode;
  refunded: Cents;
  details: Record<string, unknown>;
  lines: LineItem[];
  unpaidCancelAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface OrderEvent {
  at: Date;
  field: 'status' | 'payment_status';
  from: string | null;
  to: string;
  cause: string;
}

/** payable = original − discount − voucher, refusing any line that would go negative. */
export function payableOf(a: { original: Cents; discount: Cents; voucher: Cents }): Cents {
  const payable = a.original - a.discount - a.voucher;
  if (!Number.isSafeInteger(payable) || payable < 0 || a.discount < 0 || a.voucher < 0) {
    throw new RangeError(`line amounts do not add up: ${JSON.stringify(a)}`);
  }
  return payable;
}

/** The order overview: each amount is the sum over its lines. */
export function orderTotals(lines: readonly LineAmounts[]): LineAmounts {
  return {
    original: sum(lines.map((l) => l.original)),
    discount: sum(lines.map((l) => l.discount)),
    voucher: sum(lines.map((l) => l.voucher)),
    payable: sum(lines.map((l) => l.payable)),
    paid: sum(lines.map((l) => l.paid)),
  };
}
