import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUsd } from './money.ts';
import { prorateChange, tempUpgradeCharge } from './prorate.ts';
import { DEFAULT_SERVER_PRICE_BOOK as BOOK, serverPrepaidAmount } from './server-specs.ts';

const DAY = 86_400;
const MONTH = 30 * DAY;
const RUNS = 10_000;

describe('spec change pro-rated to the end of the period', () => {
  it('an upgrade s1.small → s1.medium half-way through a month charges half the difference', () => {
    const p = prorateChange({
      oldPeriodPrice: serverPrepaidAmount(BOOK, 's1.small', 1),
      newPeriodPrice: serverPrepaidAmount(BOOK, 's1.medium', 1),
      remainingSeconds: 15 * DAY,
      termSeconds: MONTH,
    });
    expect(p).toEqual({
      oldRemaining: 1000,
      newRemaining: 2000,
      difference: 1000,
      kind: 'charge',
      amount: 1000,
    });
  });

  it('a downgrade s1.large → s1.small with a third left refunds, each side rounded half-up', () => {
    const p = prorateChange({
      oldPeriodPrice: 8000,
      newPeriodPrice: 2000,
      remainingSeconds: 10 * DAY,
      termSeconds: MONTH,
    });
    // 80.00 / 3 = 26.666… → 26.67; 20.00 / 3 = 6.666… → 6.67; refund 20.00
    expect(formatUsd(p.oldRemaining)).toBe('26.67');
    expect(formatUsd(p.newRemaining)).toBe('6.67');
    expect(p.kind).toBe('refund');
    expect(formatUsd(p.amount)).toBe('20.00');
  });

  it('same price, or nothing left of the period: nothing to pay', () => {
    expect(
      prorateChange({ oldPeriodPrice: 4000, newPeriodPrice: 4000, remainingSeconds: 7, termSeconds: MONTH })
        .kind,
    ).toBe('none');
    expect(
      prorateChange({ oldPeriodPrice: 2000, newPeriodPrice: 16000, remainingSeconds: 0, termSeconds: MONTH })
        .amount,
    ).toBe(0);
  });

  it(`property (${RUNS} cases): line items add up; a refund never exceeds what was paid`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 1, max: 3 * 366 * DAY }),
        fc.integer({ min: 0, max: 3 * 366 * DAY }),
        (oldPrice, newPrice, term, remaining) => {
          const p = prorateChange({
            oldPeriodPrice: oldPrice,
            newPeriodPrice: newPrice,
            remainingSeconds: remaining,
            termSeconds: term,
          });
          expect(p.newRemaining - p.oldRemaining).toBe(p.difference);
          expect(p.amount).toBe(Math.abs(p.difference));
          if (p.kind === 'refund') expect(p.amount).toBeLessThanOrEqual(oldPrice);
          expect(p.oldRemaining).toBeLessThanOrEqual(oldPrice);
          if (newPrice > oldPrice) expect(p.kind).not.toBe('refund');
          if (newPrice < oldPrice) expect(p.kind).not.toBe('charge');
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('temporary upgrade for N hours, charged pro-rata', () => {
  it('s1.small → s1.medium for 24 hours of a 30-day month: 20.00 × 24/720 = 0.67', () => {
    expect(
      formatUsd(
        tempUpgradeCharge({ oldPeriodPrice: 2000, newPeriodPrice: 4000, hours: 24, termSeconds: MONTH }),
      ),
    ).toBe('0.67');
  });

  it('the whole period costs the whole difference; a cheaper "upgrade" or 0 hours costs 0', () => {
    expect(
      tempUpgradeCharge({ oldPeriodPrice: 2000, newPeriodPrice: 16000, hours: 720, termSeconds: MONTH }),
    ).toBe(14000);
    expect(
      tempUpgradeCharge({ oldPeriodPrice: 4000, newPeriodPrice: 2000, hours: 5, termSeconds: MONTH }),
    ).toBe(0);
    expect(
      tempUpgradeCharge({ oldPeriodPrice: 2000, newPeriodPrice: 4000, hours: 0, termSeconds: MONTH }),
    ).toBe(0);
    expect(() =>
      tempUpgradeCharge({ oldPeriodPrice: 2000, newPeriodPrice: 4000, hours: -1, termSeconds: MONTH }),
    ).toThrow(RangeError);
    expect(() =>
      tempUpgradeCharge({ oldPeriodPrice: 2000, newPeriodPrice: 4000, hours: 1, termSeconds: 0 }),
    ).toThrow(RangeError);
  });

  it(`property (${RUNS} cases): never negative, within half a cent of the exact pro-rata`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 3600, max: 3 * 366 * DAY }),
        (oldPrice, newPrice, hours, term) => {
          const c = tempUpgradeCharge({
            oldPeriodPrice: oldPrice,
            newPeriodPrice: newPrice,
            hours,
            termSeconds: term,
          });
          expect(c).toBeGreaterThanOrEqual(0);
          const delta = BigInt(Math.max(newPrice - oldPrice, 0));
          const diff = 2n * BigInt(c) * BigInt(term) - 2n * delta * BigInt(hours) * 3600n;
          expect(diff <= BigInt(term) && diff > -BigInt(term)).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
