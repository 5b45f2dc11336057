/**
 * Remaining value of a prepaid term (SPEC §7 `unsubscribe`, and step 1 of the coupon
 * apportionment): paid × unused / term, counted in whole seconds, rounded half-up to the cent.
 *
 * Exact: the product is formed in BigInt and divided once (money.ts's mulDivHalfUp). `unused` is
 * clamped into [0, term], so the value is never negative and never more than was paid.
 */
import { type Cents, mulDivHalfUp } from './money.ts';

function assertNonNegInt(n: number | bigint, what: string): bigint {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) {
    throw new RangeError(`${what} must be a safe integer, got ${n}`);
  }
  const b = BigInt(n);
  if (b < 0n) throw new RangeError(`${what} must not be negative, got ${n}`);
  return b;
}

/**
 * paid × unused / term, half-up to the cent. `paid` (cents) ≥ 0; `termSeconds` ≥ 0;
 * `unusedSeconds` any integer, clamped into [0, termSeconds]. A term of 0 seconds has nothing left:
 * 0. Examples: 20.00 paid for 30 days, 20 days unused → 2000 × 20/30 = 1333.33… → 13.33.
 */
export function remainingValue(
  paid: Cents,
  unusedSeconds: number | bigint,
  termSeconds: number | bigint,
): Cents {
  const p = assertNonNegInt(paid, 'paid');
  const term = assertNonNegInt(termSeconds, 'termSeconds');
  if (typeof unusedSeconds === 'number' && !Number.isSafeInteger(unusedSeconds)) {
    throw new RangeError(`unusedSeconds must be a safe integer, got ${unusedSeconds}`);
  }
  if (term === 0n || p === 0n) return 0;
  let unused = BigInt(unusedSeconds);
  if (unused < 0n) unused = 0n;
  if (unused > term) unused = term;
  return mulDivHalfUp(paid, unused, term);
}

export interface TermSeconds {
  /** whole seconds from start to end */
  termSeconds: number;
  /** whole seconds from `at` to the end, clamped into [0, termSeconds]; a started second is used */
  unusedSeconds: number;
}

/**
 * The term and its unused part, in whole seconds, for a term [startsAt, endsAt) seen at `at`.
 * Milliseconds are dropped towards the customer having used them: term = ⌊(end − start) / 1 s⌋,
 * unused = ⌊(end − at) / 1 s⌋ clamped into [0, term]. Before the start everything is unused; at or
 * after the end nothing is.
 */
export function termSecondsAt(startsAt: Date, endsAt: Date, at: Date): TermSeconds {
  const s = startsAt.getTime();
  const e = endsAt.getTime();
  const a = at.getTime();
  if (!Number.isSafeInteger(s) || !Number.isSafeInteger(e) || !Number.isSafeInteger(a)) {
    throw new RangeError('invalid date');
  }
  const termSeconds = e > s ? Math.floor((e - s) / 1000) : 0;
  const raw = e > a ? Math.floor((e - a) / 1000) : 0;
  return { termSeconds, unusedSeconds: Math.min(raw, termSeconds) };
}

/** remainingValue for a term [startsAt, endsAt) unsubscribed at `at` (see termSecondsAt). */
export function remainingValueAt(paid: Cents, startsAt: Date, endsAt: Date, at: Date): Cents {
  const { termSeconds, unusedSeconds } = termSecondsAt(startsAt, endsAt, at);
  return remainingValue(paid, unusedSeconds, termSeconds);
}
