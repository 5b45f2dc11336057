/**
 * Bandwidth pricing (SPEC §3): residential and mobile GB, priced by plan tier. Pure: the price
 * book comes in as an argument (it lives in the database and operators edit it).
 */

import { err, ok, type Result } from './errors.ts';
import { type Cents, lineAmount, type Price4 } from './money.ts';

export type BandwidthProduct = 'residential' | 'mobile';
export type PlanCode = 'payg' | 'starter' | 'pro' | 'business' | 'enterprise';

export const PLAN_CODES: readonly PlanCode[] = ['payg', 'starter', 'pro', 'business', 'enterprise'];

export interface PlanPrice {
  product: string;
  plan: PlanCode;
  minQuantity: number;
  unitPrice: Price4;
}

export const GB_MIN = 1;
export const GB_MAX = 100_000;

const PLAN_MINIMUMS: Record<PlanCode, number> = {
  payg: 1,
  starter: 100,
  pro: 500,
  business: 1_000,
  enterprise: 5_000,
};

function tiers(product: BandwidthProduct, prices: Record<PlanCode, Price4>): PlanPrice[] {
  return PLAN_CODES.map((plan) => ({
    product,
    plan,
    minQuantity: PLAN_MINIMUMS[plan],
    unitPrice: prices[plan],
  }));
}

/** The spec's default price book (USD per GB, in 1/10000 USD). */
export const DEFAULT_BANDWIDTH_PRICES: PlanPrice[] = [
  ...tiers('residential', { payg: 45000, starter: 40000, pro: 35000, business: 30000, enterprise: 25000 }),
  ...tiers('mobile', { payg: 60000, starter: 55000, pro: 50000, business: 45000, enterprise: 40000 }),
];

export interface BandwidthQuote {
  plan: PlanCode;
  unitPrice: Price4;
  gb: number;
  /** list price: payg unit price × gb */
  original: Cents;
  /** plan-tier discount: original − payable */
  discount: Cents;
  /** plan unit price × gb */
  payable: Cents;
}

/**
 * Prices `{product, gb, plan?}`.
 * - gb must be an integer in [GB_MIN, GB_MAX] → else quantity_out_of_range (param gb).
 * - no plan: the cheapest plan whose minimum gb meets (ties: the higher tier).
 * - a named plan whose minimum is not met → quantity_out_of_range (param plan).
 * - a plan (or the payg list price) missing from the price book → invalid_request.
 * Amounts are rounded half-up to the cent once per line. If a misconfigured price book makes a
 * named plan dearer than payg, the original is raised to the payable so the discount is never
 * negative.
 */
export function priceBandwidth(
  input: { product: BandwidthProduct; gb: number; plan?: PlanCode },
  prices: readonly PlanPrice[],
): Result<BandwidthQuote> {
  const { product, gb, plan } = input;
  if (!Number.isSafeInteger(gb) || gb < GB_MIN || gb > GB_MAX) {
    return err('quantity_out_of_range', `gb must be an integer from ${GB_MIN} to ${GB_MAX}`, {
      param: 'gb',
    });
  }
  const book = prices.filter((p) => p.product === product);
  const payg = book.find((p) => p.plan === 'payg');
  if (!payg) {
    return err('invalid_request', `no payg price for product ${product}`, { param: 'product' });
  }

  let chosen: PlanPrice | undefined;
  if (plan !== undefined) {
    chosen = book.find((p) => p.plan === plan);
    if (!chosen) {
      return err('invalid_request', `unknown plan ${plan} for product ${product}`, { param: 'plan' });
    }
    if (gb < chosen.minQuantity) {
      return err('quantity_out_of_range', `plan ${plan} needs at least ${chosen.minQuantity} GB`, {
        param: 'plan',
        detail: { min_quantity: chosen.minQuantity },
      });
    }
  } else {
    for (const p of book) {
      if (p.minQuantity > gb) continue;
      if (
        !chosen ||
        p.unitPrice < chosen.unitPrice ||
        (p.unitPrice === chosen.unitPrice && p.minQuantity > chosen.minQuantity)
      ) {
        chosen = p;
      }
    }
    // payg is in the book; if its minimum exceeds gb the book is misconfigured
    if (!chosen) {
      return err('quantity_out_of_range', `no plan for ${product} accepts ${gb} GB`, { param: 'gb' });
    }
  }

  const payable = lineAmount(chosen.unitPrice, gb);
  const listed = lineAmount(payg.unitPrice, gb);
  const original = Math.max(listed, payable);
  return ok({
    plan: chosen.plan,
    unitPrice: chosen.unitPrice,
    gb,
    original,
    discount: original - payable,
    payable,
  });
}
