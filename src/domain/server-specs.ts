/**
 * Dedicated-server specs and reserved-instance coupon prices (SPEC §7). Pure: the price book comes
 * in as an argument (it lives in the database, product 'server', and operators edit it); the
 * defaults below are the spec's.
 *
 * Units are those of money.ts: unit prices in Price4 (1/10000 USD), amounts in Cents.
 */
import { type Cents, lineAmount, type Price4 } from './money.ts';

export const SERVER_SPECS = ['s1.small', 's1.medium', 's1.large', 's1.xlarge'] as const;
export type ServerSpec = (typeof SERVER_SPECS)[number];

export function isServerSpec(s: unknown): s is ServerSpec {
  return typeof s === 'string' && (SERVER_SPECS as readonly string[]).includes(s);
}

/** Compute-power factor of each spec. */
export const COMPUTE_FACTOR: Readonly<Record<ServerSpec, number>> = {
  's1.small': 1,
  's1.medium': 2,
  's1.large': 4,
  's1.xlarge': 8,
};

/** Compute power of `count` instances of a spec: factor × count. `count` is a non-negative integer. */
export function computePower(spec: ServerSpec, count: number): number {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  return COMPUTE_FACTOR[spec] * count;
}

/** True when `to` has a strictly larger compute-power factor than `from` (an upgrade). */
export function isUpgrade(from: ServerSpec, to: ServerSpec): boolean {
  return COMPUTE_FACTOR[to] > COMPUTE_FACTOR[from];
}

export interface ServerPriceBook {
  /** prepaid price per instance per month */
  monthly: Record<ServerSpec, Price4>;
  /** postpaid price per instance per hour */
  hourly: Record<ServerSpec, Price4>;
}

/** The spec's defaults: monthly 20/40/80/160 USD, hourly 0.03/0.06/0.12/0.24 USD. */
export const DEFAULT_SERVER_PRICE_BOOK: ServerPriceBook = {
  monthly: { 's1.small': 200_000, 's1.medium': 400_000, 's1.large': 800_000, 's1.xlarge': 1_600_000 },
  hourly: { 's1.small': 300, 's1.medium': 600, 's1.large': 1_200, 's1.xlarge': 2_400 },
};

/**
 * Builds the server price book from price_book rows with codes `monthly:<spec>` and
 * `hourly:<spec>` (e.g. `monthly:s1.small`). Rows with another code or a price that is not a
 * non-negative safe integer are ignored; a missing row falls back to the spec's default.
 */
export function serverPriceBookFromRows(
  rows: readonly { code: string; unitPrice4: number }[],
): ServerPriceBook {
  const book: ServerPriceBook = {
    monthly: { ...DEFAULT_SERVER_PRICE_BOOK.monthly },
    hourly: { ...DEFAULT_SERVER_PRICE_BOOK.hourly },
  };
  for (const { code, unitPrice4 } of rows) {
    if (!Number.isSafeInteger(unitPrice4) || unitPrice4 < 0) continue;
    const [kind, spec, ...rest] = code.split(':');
    if (rest.length > 0 || !isServerSpec(spec)) continue;
    if (kind === 'monthly') book.monthly[spec] = unitPrice4;
    else if (kind === 'hourly') book.hourly[spec] = unitPrice4;
  }
  return book;
}

/** Prepaid server: monthly price × months × count, half-up to the cent once. No discount here. */
export function serverPrepaidAmount(
  book: ServerPriceBook,
  spec: ServerSpec,
  months: number,
  count = 1,
): Cents {
  return lineAmount(book.monthly[spec], count, months);
}

/** Postpaid server: hourly price × hours × count, half-up to the cent once (10 h s1.small = 0.30). */
export function serverHourlyAmount(book: ServerPriceBook, spec: ServerSpec, hours: number, count = 1): Cents {
  return lineAmount(book.hourly[spec], count, hours);
}

export const COUPON_YEARS = [1, 3] as const;
export type CouponYears = (typeof COUPON_YEARS)[number];

export function isCouponYears(y: unknown): y is CouponYears {
  return y === 1 || y === 3;
}

/** A coupon costs this many monthly prices per instance: 10 for 1 year, 24 for 3 years. */
export const COUPON_MONTHS_PRICED: Readonly<Record<CouponYears, number>> = { 1: 10, 3: 24 };

/** Price of one coupon instance, in Price4: monthly × 10 (1 year) or × 24 (3 years). */
export function couponUnitPrice(book: ServerPriceBook, spec: ServerSpec, years: CouponYears): Price4 {
  return book.monthly[spec] * COUPON_MONTHS_PRICED[years];
}

/** Price of a coupon for `count` instances: monthly × (10 | 24) × count, half-up to the cent. */
export function couponAmount(
  book: ServerPriceBook,
  spec: ServerSpec,
  count: number,
  years: CouponYears,
): Cents {
  return lineAmount(book.monthly[spec], count, COUPON_MONTHS_PRICED[years]);
}
