import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BandwidthProduct,
  DEFAULT_BANDWIDTH_PRICES,
  GB_MAX,
  GB_MIN,
  PLAN_CODES,
  type PlanCode,
  type PlanPrice,
  priceBandwidth,
} from './bandwidth-pricing.ts';
import type { Result } from './errors.ts';
import { lineAmount } from './money.ts';

const RUNS = 10_000;

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function price(product: BandwidthProduct, gb: number, plan?: PlanCode) {
  return priceBandwidth(
    plan === undefined ? { product, gb } : { product, gb, plan },
    DEFAULT_BANDWIDTH_PRICES,
  );
}

describe('DEFAULT_BANDWIDTH_PRICES', () => {
  it('is the spec table', () => {
    const table = (product: string) =>
      DEFAULT_BANDWIDTH_PRICES.filter((p) => p.product === product).map((p) => [
        p.plan,
        p.minQuantity,
        p.unitPrice,
      ]);
    expect(table('residential')).toEqual([
      ['payg', 1, 45000],
      ['starter', 100, 40000],
      ['pro', 500, 35000],
      ['business', 1000, 30000],
      ['enterprise', 5000, 25000],
    ]);
    expect(table('mobile')).toEqual([
      ['payg', 1, 60000],
      ['starter', 100, 55000],
      ['pro', 500, 50000],
      ['business', 1000, 45000],
      ['enterprise', 5000, 40000],
    ]);
    expect(DEFAULT_BANDWIDTH_PRICES).toHaveLength(10);
  });
});

describe('priceBandwidth', () => {
  it('50 GB residential is payg 225.00 (the seed document)', () => {
    expect(value(price('residential', 50))).toEqual({
      plan: 'payg',
      unitPrice: 45000,
      gb: 50,
      original: 22500,
      discount: 0,
      payable: 22500,
    });
  });

  it('100 GB residential picks starter: 400.00, 50.00 off 450.00', () => {
    expect(value(price('residential', 100))).toEqual({
      plan: 'starter',
      unitPrice: 40000,
      gb: 100,
      original: 45000,
      discount: 5000,
      payable: 40000,
    });
  });

  it('99 GB residential is still payg: 445.50', () => {
    const q = value(price('residential', 99));
    expect(q.plan).toBe('payg');
    expect(q.payable).toBe(44550);
    expect(q.discount).toBe(0);
  });

  it('picks the tier at each boundary', () => {
    expect(value(price('residential', 1)).plan).toBe('payg');
    expect(value(price('residential', 499)).plan).toBe('starter');
    expect(value(price('residential', 500)).plan).toBe('pro');
    expect(value(price('residential', 999)).plan).toBe('pro');
    expect(value(price('residential', 1000)).plan).toBe('business');
    expect(value(price('residential', 4999)).plan).toBe('business');
    const ent = value(price('residential', 5000));
    expect(ent.plan).toBe('enterprise');
    expect(ent.payable).toBe(1_250_000);
    expect(ent.original).toBe(2_250_000);
    expect(ent.discount).toBe(1_000_000);
    expect(value(price('residential', GB_MAX)).payable).toBe(25_000_000);
  });

  it('mobile 1 GB is 6.00', () => {
    const q = value(price('mobile', 1));
    expect(q.plan).toBe('payg');
    expect(q.payable).toBe(600);
    expect(q.original).toBe(600);
    expect(q.discount).toBe(0);
  });

  it('mobile 5000 GB is enterprise at 4.00', () => {
    const q = value(price('mobile', 5000));
    expect(q.plan).toBe('enterprise');
    expect(q.payable).toBe(2_000_000);
    expect(q.discount).toBe(1_000_000);
  });

  it('honours a named plan whose minimum is met', () => {
    const q = value(price('residential', 1000, 'pro'));
    expect(q.plan).toBe('pro');
    expect(q.payable).toBe(350_000);
    expect(q.original).toBe(450_000);
    expect(q.discount).toBe(100_000);
    expect(value(price('residential', 5000, 'payg')).payable).toBe(2_250_000);
  });

  it('refuses a named plan whose minimum is not met', () => {
    const r = price('residential', 100, 'pro');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('quantity_out_of_range');
      expect(r.error.param).toBe('plan');
    }
    const r2 = price('mobile', 4999, 'enterprise');
    expect(!r2.ok && r2.error.code).toBe('quantity_out_of_range');
  });

  it('refuses gb outside 1–100,000 or not an integer', () => {
    for (const gb of [0, -1, GB_MAX + 1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const r = price('residential', gb);
      expect(r.ok, String(gb)).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('quantity_out_of_range');
        expect(r.error.param).toBe('gb');
      }
    }
    expect(price('residential', GB_MIN).ok).toBe(true);
    expect(price('residential', GB_MAX).ok).toBe(true);
  });

  it('checks gb before the plan', () => {
    const r = price('residential', 0, 'pro');
    expect(!r.ok && r.error.param).toBe('gb');
  });

  it('refuses a plan missing from the price book with invalid_request', () => {
    const book = DEFAULT_BANDWIDTH_PRICES.filter((p) => !(p.product === 'mobile' && p.plan === 'pro'));
    const r = priceBandwidth({ product: 'mobile', gb: 600, plan: 'pro' }, book);
    expect(!r.ok && r.error.code).toBe('invalid_request');
    // the automatic choice skips the missing tier
    expect(value(priceBandwidth({ product: 'mobile', gb: 600 }, book)).plan).toBe('starter');
    // a product without any price
    const r2 = priceBandwidth({ product: 'residential', gb: 10 }, []);
    expect(!r2.ok && r2.error.code).toBe('invalid_request');
  });

  it('uses the price book it is given (operator edits)', () => {
    const book: PlanPrice[] = DEFAULT_BANDWIDTH_PRICES.map((p) =>
      p.product === 'residential' && p.plan === 'payg' ? { ...p, unitPrice: 12345 } : p,
    );
    const q = value(priceBandwidth({ product: 'residential', gb: 1 }, book));
    expect(q.payable).toBe(123); // 1.2345 → 1.23
    const q2 = value(priceBandwidth({ product: 'residential', gb: 100 }, book));
    expect(q2.plan).toBe('payg'); // cheaper than starter now
    expect(q2.payable).toBe(12345);
  });

  it('never gives a negative discount, even for a plan dearer than payg', () => {
    const book: PlanPrice[] = DEFAULT_BANDWIDTH_PRICES.map((p) =>
      p.product === 'residential' && p.plan === 'starter' ? { ...p, unitPrice: 50000 } : p,
    );
    const q = value(priceBandwidth({ product: 'residential', gb: 100, plan: 'starter' }, book));
    expect(q.payable).toBe(50000);
    expect(q.discount).toBe(0);
    expect(q.original).toBe(50000);
    expect(value(priceBandwidth({ product: 'residential', gb: 100 }, book)).plan).toBe('payg');
  });

  const products = fc.constantFrom<BandwidthProduct>('residential', 'mobile');
  const gbs = fc.integer({ min: GB_MIN, max: GB_MAX });

  it('payable = original − discount, discount ≥ 0, never dearer than payg (property)', () => {
    fc.assert(
      fc.property(
        products,
        gbs,
        fc.option(fc.constantFrom(...PLAN_CODES), { nil: undefined }),
        (p, gb, plan) => {
          const r = price(p, gb, plan);
          if (!r.ok) {
            // only a named plan whose minimum is not met may fail
            return plan !== undefined && r.error.code === 'quantity_out_of_range' && r.error.param === 'plan';
          }
          const q = r.value;
          const payg = DEFAULT_BANDWIDTH_PRICES.find((x) => x.product === p && x.plan === 'payg')!;
          return (
            q.payable === q.original - q.discount &&
            q.discount >= 0 &&
            q.payable <= lineAmount(payg.unitPrice, gb) &&
            q.original === lineAmount(payg.unitPrice, gb) &&
            q.payable === lineAmount(q.unitPrice, gb) &&
            q.gb === gb &&
            (plan === undefined || q.plan === plan)
          );
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('the automatic tier is the cheapest eligible plan (property)', () => {
    fc.assert(
      fc.property(products, gbs, (p, gb) => {
        const q = value(price(p, gb));
        const eligible = DEFAULT_BANDWIDTH_PRICES.filter((x) => x.product === p && x.minQuantity <= gb);
        return (
          eligible.some((x) => x.plan === q.plan) &&
          eligible.every((x) => q.unitPrice <= x.unitPrice && q.payable <= lineAmount(x.unitPrice, gb))
        );
      }),
      { numRuns: RUNS },
    );
  });
});
