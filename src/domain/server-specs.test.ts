import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUsd, parsePrice4, parseUsd } from './money.ts';
import {
  COMPUTE_FACTOR,
  computePower,
  couponAmount,
  couponUnitPrice,
  DEFAULT_SERVER_PRICE_BOOK,
  isCouponYears,
  isServerSpec,
  isUpgrade,
  SERVER_SPECS,
  serverHourlyAmount,
  serverPrepaidAmount,
  serverPriceBookFromRows,
} from './server-specs.ts';

const BOOK = DEFAULT_SERVER_PRICE_BOOK;

describe('server specs (SPEC §7)', () => {
  it.each([
    ['s1.small', 1, '20', '0.03'],
    ['s1.medium', 2, '40', '0.06'],
    ['s1.large', 4, '80', '0.12'],
    ['s1.xlarge', 8, '160', '0.24'],
  ] as const)('%s: factor %i, %s USD a month, %s USD an hour', (spec, factor, monthly, hourly) => {
    expect(COMPUTE_FACTOR[spec]).toBe(factor);
    expect(BOOK.monthly[spec]).toBe(parsePrice4(monthly));
    expect(BOOK.hourly[spec]).toBe(parsePrice4(hourly));
    expect(serverPrepaidAmount(BOOK, spec, 1)).toBe(parseUsd(monthly));
  });

  it('compute power is factor × count', () => {
    expect(computePower('s1.small', 3)).toBe(3);
    expect(computePower('s1.large', 5)).toBe(20);
    expect(computePower('s1.xlarge', 0)).toBe(0);
    expect(() => computePower('s1.small', -1)).toThrow(RangeError);
    expect(() => computePower('s1.small', 1.5)).toThrow(RangeError);
  });

  it('a postpaid s1.small for 10 hours is 10 × 0.03 = 0.30', () => {
    expect(formatUsd(serverHourlyAmount(BOOK, 's1.small', 10))).toBe('0.30');
    expect(formatUsd(serverHourlyAmount(BOOK, 's1.xlarge', 1, 3))).toBe('0.72');
  });

  it('prepaid: monthly × months × count', () => {
    expect(formatUsd(serverPrepaidAmount(BOOK, 's1.medium', 12))).toBe('480.00');
    expect(formatUsd(serverPrepaidAmount(BOOK, 's1.small', 3, 2))).toBe('120.00');
  });

  it('coupons: 10 × monthly per instance for 1 year, 24 × for 3 years', () => {
    expect(couponUnitPrice(BOOK, 's1.small', 1)).toBe(parsePrice4('200'));
    expect(couponUnitPrice(BOOK, 's1.small', 3)).toBe(parsePrice4('480'));
    expect(formatUsd(couponAmount(BOOK, 's1.large', 2, 1))).toBe('1600.00');
    expect(formatUsd(couponAmount(BOOK, 's1.xlarge', 3, 3))).toBe('11520.00');
  });

  it('coupon price = monthly prepaid price × (10 | 24) × count for every spec', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SERVER_SPECS),
        fc.integer({ min: 1, max: 10_000 }),
        fc.constantFrom(1 as const, 3 as const),
        (spec, count, years) => {
          const per = years === 1 ? 10 : 24;
          expect(couponAmount(BOOK, spec, count, years)).toBe(serverPrepaidAmount(BOOK, spec, per, count));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('guards and upgrade order', () => {
    expect(isServerSpec('s1.small')).toBe(true);
    expect(isServerSpec('s2.small')).toBe(false);
    expect(isServerSpec(undefined)).toBe(false);
    expect(isCouponYears(1)).toBe(true);
    expect(isCouponYears(3)).toBe(true);
    expect(isCouponYears(2)).toBe(false);
    expect(isUpgrade('s1.small', 's1.large')).toBe(true);
    expect(isUpgrade('s1.large', 's1.small')).toBe(false);
    expect(isUpgrade('s1.large', 's1.large')).toBe(false);
  });

  it('price book from rows: known codes override, the rest fall back to the defaults', () => {
    const book = serverPriceBookFromRows([
      { code: 'monthly:s1.small', unitPrice4: 250_000 },
      { code: 'hourly:s1.xlarge', unitPrice4: 3_000 },
      { code: 'hourly:s9.huge', unitPrice4: 1 },
      { code: 'monthly:s1.large:x', unitPrice4: 1 },
      { code: 'monthly:s1.medium', unitPrice4: -5 },
      { code: 'weekly:s1.small', unitPrice4: 1 },
    ]);
    expect(book.monthly['s1.small']).toBe(250_000);
    expect(book.hourly['s1.xlarge']).toBe(3_000);
    expect(book.monthly['s1.medium']).toBe(BOOK.monthly['s1.medium']);
    expect(book.monthly['s1.large']).toBe(BOOK.monthly['s1.large']);
    expect(serverPriceBookFromRows([])).toEqual(BOOK);
    // the defaults are not mutated
    expect(BOOK.monthly['s1.small']).toBe(200_000);
  });
});
