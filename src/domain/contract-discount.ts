/**
 * Contract discounts (SPEC §3, §11; the billing-center document's "contract price"): an operator
 * gives an account a percent off a product. Pure.
 *
 * The rule: the contract percent applies to the price after the plan-tier and yearly discounts
 * (the price the account would otherwise pay), rounded half-up to the cent once per line, and it
 * is added to the line's `discount`. So 10 % on 50 GB residential (payg, no tier discount) is
 * 225.00 − 22.50 = 202.50, and 10 % on a yearly ISP line of original 1440.00 is 1440.00 − 144.00
 * (yearly) = 1296.00, then − 129.60 (contract) = 1166.40.
 *
 * Percents are kept as integer basis points (1 = 0.01 %, 10000 = 100 %): no floats.
 */
import { type Cents, mulDivHalfUp } from './money.ts';
import { PRODUCTS, type Product } from './products.ts';

export const CONTRACT_DISCOUNT_PRODUCTS = PRODUCTS;

/** Basis points per account and product; a product not named has none. */
export type ContractDiscounts = Partial<Record<Product, number>>;

export const MAX_BASIS_POINTS = 10_000;

export function isBasisPoints(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n <= MAX_BASIS_POINTS;
}

const PERCENT = /^(\d{1,3})(?:\.(\d{1,2})0*)?$/;

/**
 * A percent (JSON number such as 10, 12.5 or 0.25) as basis points, or null when it is not a
 * number 0–100 with at most two decimals. Parsed from its decimal text, never multiplied as a float.
 */
export function percentToBasisPoints(percent: number): number | null {
  if (typeof percent !== 'number' || !Number.isFinite(percent)) return null;
  const text = String(percent);
  const m = PERCENT.exec(text);
  if (!m) return null;
  const bp = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
  return bp <= MAX_BASIS_POINTS ? bp : null;
}

/** Basis points as the percent the API shows (1250 → 12.5); exact for two decimals. */
export function basisPointsToPercent(bp: number): number {
  const whole = Math.floor(bp / 100);
  const frac = bp % 100;
  return Number(`${whole}.${String(frac).padStart(2, '0')}`);
}

/** The contract discount on a price: bp/10000 of it, half-up to the cent. */
export function contractDiscount(price: Cents, bp: number): Cents {
  if (!isBasisPoints(bp)) throw new RangeError(`basis points must be an integer 0–10000, got ${bp}`);
  return mulDivHalfUp(price, bp, MAX_BASIS_POINTS);
}

/**
 * A line's amounts with the contract discount on top: the percent of the payable after the
 * tier / yearly discounts is added to `discount` and taken off `payable`. 0 leaves them as they are.
 */
export function withContractDiscount<T extends { original: Cents; discount: Cents; payable: Cents }>(
  amounts: T,
  bp: number,
): T {
  const off = contractDiscount(amounts.payable, bp);
  if (off === 0) return amounts;
  return { ...amounts, discount: amounts.discount + off, payable: amounts.payable - off };
}
