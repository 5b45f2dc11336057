/**
 * Vouchers applied to an order (SPEC §5, the billing-center document): vouchers are spent first,
 * in the order named, each taking min(its remaining, what is still payable); the order's voucher
 * deduction is then split over its line items by largest remainder in proportion to each line's
 * original − discount, so every line keeps payable = original − discount − voucher and the order's
 * totals stay the sums of its lines. Pure: no I/O, integer cents only.
 */
import { allocate, type Cents, min, sum } from './money.ts';
import { type LineAmounts, orderTotals, payableOf } from './order.ts';

export interface VoucherTake {
  id: string;
  /** cents this voucher pays for the order (≥ 0) */
  amount: Cents;
}

/** Each voucher, in order, takes min(its remaining, what is still payable). */
export function takeVouchers(
  payable: Cents,
  vouchers: readonly { id: string; remaining: Cents }[],
): VoucherTake[] {
  let left = payable;
  return vouchers.map((v) => {
    const amount = min(Math.max(v.remaining, 0), left);
    left -= amount;
    return { id: v.id, amount };
  });
}

/**
 * Splits a voucher deduction over lines by largest remainder, weights original − discount. Never
 * gains or loses a cent, and no line gets more than its own original − discount.
 */
export function splitVoucher(total: Cents, lines: readonly { original: Cents; discount: Cents }[]): Cents[] {
  const weights = lines.map((l) => l.original - l.discount);
  const room = sum(weights);
  if (!Number.isSafeInteger(total) || total < 0 || total > room) {
    throw new RangeError(`a voucher deduction of ${total} does not fit lines worth ${room}`);
  }
  if (total === 0) return lines.map(() => 0);
  return allocate(total, weights);
}

/**
 * The lines (and the order's totals) with a voucher deduction applied, replacing any earlier one:
 * each line's voucher and payable set, `paid` set to the new payable when `paid` says so, else 0.
 */
export function applyVoucherToLines<L extends LineAmounts>(
  lines: readonly L[],
  total: Cents,
  opts: { paid: boolean },
): { lines: L[]; totals: LineAmounts } {
  const parts = splitVoucher(total, lines);
  const out = lines.map((l, i) => {
    const voucher = parts[i]!;
    const payable = payableOf({ original: l.original, discount: l.discount, voucher });
    return { ...l, voucher, payable, paid: opts.paid ? payable : 0 };
  });
  return { lines: out, totals: orderTotals(out) };
}
