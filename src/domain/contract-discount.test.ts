import { describe, expect, it } from 'vitest';
import { DEFAULT_BANDWIDTH_PRICES, priceBandwidth } from './bandwidth-pricing.ts';
import {
  basisPointsToPercent,
  contractDiscount,
  percentToBasisPoints,
  withContractDiscount,
} from './contract-discount.ts';
import { DEFAULT_ISP_PRICE_BOOK, priceIsp } from './isp-pricing.ts';

describe('contract discount (domain/contract-discount.ts)', () => {
  it('parses percents with up to two decimals into basis points, refusing the rest', () => {
    expect(percentToBasisPoints(10)).toBe(1000);
    expect(percentToBasisPoints(12.5)).toBe(1250);
    expect(percentToBasisPoints(0.01)).toBe(1);
    expect(percentToBasisPoints(0)).toBe(0);
    expect(percentToBasisPoints(100)).toBe(10000);
    expect(percentToBasisPoints(100.01)).toBeNull();
    expect(percentToBasisPoints(101)).toBeNull();
    expect(percentToBasisPoints(-1)).toBeNull();
    expect(percentToBasisPoints(0.001)).toBeNull();
    expect(percentToBasisPoints(Number.NaN)).toBeNull();
    expect(basisPointsToPercent(1250)).toBe(12.5);
    expect(basisPointsToPercent(1)).toBe(0.01);
    expect(basisPointsToPercent(10000)).toBe(100);
  });

  it('rounds half-up to the cent', () => {
    expect(contractDiscount(22500, 1000)).toBe(2250);
    expect(contractDiscount(5, 1000)).toBe(1); // 0.5 cent → 1
    expect(contractDiscount(4, 1000)).toBe(0);
    expect(contractDiscount(22500, 0)).toBe(0);
    expect(contractDiscount(22500, 10000)).toBe(22500);
    expect(() => contractDiscount(100, 10001)).toThrow();
  });

  it("the seed's example: 10 % on 50 GB residential is 225.00 / 22.50 / 202.50", () => {
    const q = priceBandwidth({ product: 'residential', gb: 50 }, DEFAULT_BANDWIDTH_PRICES);
    if (!q.ok) throw new Error('priced');
    expect(withContractDiscount(q.value, 1000)).toMatchObject({
      original: 22500,
      discount: 2250,
      payable: 20250,
    });
  });

  it('applies after the plan tier: 10 % on 100 GB residential starter (400.00 after 50.00 off)', () => {
    const q = priceBandwidth({ product: 'residential', gb: 100 }, DEFAULT_BANDWIDTH_PRICES);
    if (!q.ok) throw new Error('priced');
    expect(withContractDiscount(q.value, 1000)).toMatchObject({
      original: 45000,
      discount: 9000,
      payable: 36000,
    });
  });

  it('ISP: monthly 120.00 → 12.00 off; yearly: 10 % yearly first, then 10 % contract of the rest', () => {
    const m = priceIsp(
      { country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 },
      DEFAULT_ISP_PRICE_BOOK,
    );
    const y = priceIsp(
      { country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 12 },
      DEFAULT_ISP_PRICE_BOOK,
    );
    if (!m.ok || !y.ok) throw new Error('priced');
    expect(withContractDiscount(m.value, 1000)).toMatchObject({
      original: 12000,
      discount: 1200,
      payable: 10800,
    });
    // 1440.00 − 144.00 yearly = 1296.00; − 129.60 contract = 1166.40
    expect(withContractDiscount(y.value, 1000)).toMatchObject({
      original: 144000,
      discount: 27360,
      payable: 116640,
    });
  });

  it('0 % leaves the amounts unchanged', () => {
    const a = { original: 22500, discount: 0, payable: 22500 };
    expect(withContractDiscount(a, 0)).toBe(a);
  });
});
