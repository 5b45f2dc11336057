/**
 * What a temporary upgrade costs (SPEC §7 `temp_upgrade`, docs/decisions.md "Servers: temporary
 * upgrades, trials, postpaid changes, refunds to sources"). Pure.
 *
 * A prepaid server pays the monthly price difference pro-rata for the upgraded time, a month
 * counted as 720 hours (30 days) whatever the calendar says, so an hour costs the same in February
 * and in March:
 *
 *   charge = Σ (monthly(to) − monthly(from)) × seconds / (720 × 3600), half-up to the cent once
 *
 * over the parts of the window: one part for a first upgrade or an extension (from = the base
 * spec), two when a server already upgraded is upgraded higher again (the rest of the current
 * window from the current spec, the remaining hours from the base spec). Prices are Price4
 * (1/10000 USD), so the sum is formed exactly and divided once. s1.small → s1.medium for 24 h:
 * (40.00 − 20.00) × 24 / 720 = 0.666… → 0.67.
 */
import { type Cents, mulDivHalfUp, type Price4 } from '../../domain/money.ts';

/** Hours in the month a temporary upgrade is pro-rated over. */
export const TEMP_UPGRADE_MONTH_HOURS = 720;
/** The longest a temporary upgrade may run from now (a month); a longer one is a `change`. */
export const TEMP_UPGRADE_MAX_HOURS = 720;

export interface TempUpgradePart {
  /** monthly price of the spec charged for, minus that of the spec it replaces (Price4, ≥ 0) */
  monthlyDelta4: Price4;
  seconds: number;
}

export function tempUpgradeCents(parts: readonly TempUpgradePart[]): Cents {
  let total = 0n;
  for (const p of parts) {
    if (!Number.isSafeInteger(p.monthlyDelta4) || p.monthlyDelta4 < 0) {
      throw new RangeError('monthlyDelta4 must be a non-negative integer');
    }
    if (!Number.isSafeInteger(p.seconds) || p.seconds < 0) {
      throw new RangeError('seconds must be a non-negative integer');
    }
    total += BigInt(p.monthlyDelta4) * BigInt(p.seconds);
  }
  // Price4 → cents is ÷ 100; a month is 720 × 3600 seconds
  return mulDivHalfUp(1, total, BigInt(TEMP_UPGRADE_MONTH_HOURS * 3600 * 100));
}
