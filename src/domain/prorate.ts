/**
 * Pro-rating a server's configuration inside a prepaid period (SPEC §7 `change` and
 * `temp_upgrade`). Pure and exact: each amount is one BigInt multiplication and one half-up
 * division to the cent.
 *
 * A `change` order carries two line items (the seed): the old configuration, whose remaining value
 * is credited, and the new one, charged pro-rata for the rest of the period. The difference is what
 * the customer pays (an upgrade) or gets back (a downgrade).
 */
import { type Cents, mulDivHalfUp } from './money.ts';
import { remainingValue } from './unsubscribe-value.ts';

export interface ProrateInput {
  /** what the current configuration cost for the whole period (the amount paid for it) */
  oldPeriodPrice: Cents;
  /** what the new configuration costs for the same period at today's price book */
  newPeriodPrice: Cents;
  /** seconds left in the period (clamped into [0, termSeconds]) */
  remainingSeconds: number | bigint;
  /** length of the period in seconds */
  termSeconds: number | bigint;
}

export interface ChangeProration {
  /** the old configuration's remaining value: oldPeriodPrice × remaining / term, half-up */
  oldRemaining: Cents;
  /** the new configuration for the rest of the period: newPeriodPrice × remaining / term, half-up */
  newRemaining: Cents;
  /** newRemaining − oldRemaining: > 0 charged, < 0 refunded */
  difference: Cents;
  kind: 'charge' | 'refund' | 'none';
  /** |difference| */
  amount: Cents;
}

/**
 * A spec change pro-rated to the end of the period. Both sides are rounded separately (each is a
 * line item of its own) and the difference is taken of the rounded values, so the line items add
 * up to the charge or refund exactly. A refund is never more than oldRemaining, hence never more
 * than was paid for the period.
 */
export function prorateChange(input: ProrateInput): ChangeProration {
  const { oldPeriodPrice, newPeriodPrice, remainingSeconds, termSeconds } = input;
  const oldRemaining = remainingValue(oldPeriodPrice, remainingSeconds, termSeconds);
  const newRemaining = remainingValue(newPeriodPrice, remainingSeconds, termSeconds);
  const difference = newRemaining - oldRemaining;
  return {
    oldRemaining,
    newRemaining,
    difference,
    kind: difference > 0 ? 'charge' : difference < 0 ? 'refund' : 'none',
    amount: Math.abs(difference),
  };
}

export interface TempUpgradeInput {
  /** the current configuration's price for the period */
  oldPeriodPrice: Cents;
  /** the higher configuration's price for the same period */
  newPeriodPrice: Cents;
  /** hours of the temporary upgrade, a non-negative integer */
  hours: number;
  /** length of the period in seconds */
  termSeconds: number | bigint;
}

/**
 * A temporary upgrade for N hours, charged pro-rata: (newPeriodPrice − oldPeriodPrice) ×
 * (hours × 3600) / termSeconds, half-up to the cent. Never negative (a "temporary upgrade" to a
 * cheaper price costs 0, it refunds nothing). The hours are not clamped to the period: an upgrade
 * that outlasts the period is charged for all its hours at the period's rate. For postpaid servers
 * there is nothing to pro-rate: the upgraded hours are billed at the higher hourly price.
 */
export function tempUpgradeCharge(input: TempUpgradeInput): Cents {
  const { oldPeriodPrice, newPeriodPrice, hours, termSeconds } = input;
  for (const [v, what] of [
    [oldPeriodPrice, 'oldPeriodPrice'],
    [newPeriodPrice, 'newPeriodPrice'],
    [hours, 'hours'],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer`);
  }
  const term = BigInt(termSeconds);
  if (term <= 0n) throw new RangeError('termSeconds must be positive');
  const delta = newPeriodPrice - oldPeriodPrice;
  if (delta <= 0 || hours === 0) return 0;
  return mulDivHalfUp(delta, BigInt(hours) * 3600n, term);
}
