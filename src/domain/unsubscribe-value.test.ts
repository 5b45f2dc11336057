import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUsd } from './money.ts';
import { remainingValue, remainingValueAt, termSecondsAt } from './unsubscribe-value.ts';

const DAY = 86_400;
const RUNS = 10_000;

describe('unsubscribe remaining value: paid × unused / term, to the second, half-up to the cent', () => {
  it('a prepaid month unsubscribed after a third of it refunds two thirds', () => {
    // 20.00 for 30 days, 10 days used: 2000 × 20/30 = 1333.33… cents → 13.33 (half-up; .33 rounds down)
    expect(formatUsd(remainingValue(2000, 20 * DAY, 30 * DAY))).toBe('13.33');
    const start = new Date('2025-01-01T00:00:00Z');
    const end = new Date('2025-01-31T00:00:00Z');
    const at = new Date('2025-01-11T00:00:00Z');
    expect(formatUsd(remainingValueAt(2000, start, end, at))).toBe('13.33');
    // 160.00 (s1.xlarge) → 106.666… → 106.67 (half-up)
    expect(formatUsd(remainingValueAt(16000, start, end, at))).toBe('106.67');
  });

  it('rounds half up', () => {
    expect(remainingValue(1, 1, 2)).toBe(1); // 0.5 cent → 1
    expect(remainingValue(3, 1, 2)).toBe(2); // 1.5 → 2
    expect(remainingValue(1, 1, 3)).toBe(0); // 0.33 → 0
    expect(remainingValue(2, 1, 3)).toBe(1); // 0.67 → 1
  });

  it('edges: all unused is all paid, none unused is 0, out-of-range unused is clamped', () => {
    expect(remainingValue(2000, 30 * DAY, 30 * DAY)).toBe(2000);
    expect(remainingValue(2000, 0, 30 * DAY)).toBe(0);
    expect(remainingValue(2000, 31 * DAY, 30 * DAY)).toBe(2000);
    expect(remainingValue(2000, -5, 30 * DAY)).toBe(0);
    expect(remainingValue(2000, 0, 0)).toBe(0);
    expect(remainingValue(0, 10, 30)).toBe(0);
    expect(() => remainingValue(-1, 1, 2)).toThrow(RangeError);
    expect(() => remainingValue(1, 1, -2)).toThrow(RangeError);
    expect(() => remainingValue(1.5, 1, 2)).toThrow(RangeError);
  });

  it('to the second: a started second counts as used; before the start all, after the end nothing', () => {
    const start = new Date('2025-01-01T00:00:00Z');
    const end = new Date('2025-01-01T00:00:10Z');
    expect(termSecondsAt(start, end, new Date('2025-01-01T00:00:03.500Z'))).toEqual({
      termSeconds: 10,
      unusedSeconds: 6,
    });
    expect(termSecondsAt(start, end, new Date('2024-12-31T00:00:00Z'))).toEqual({
      termSeconds: 10,
      unusedSeconds: 10,
    });
    expect(termSecondsAt(start, end, new Date('2025-02-01T00:00:00Z')).unusedSeconds).toBe(0);
    expect(termSecondsAt(end, start, start)).toEqual({ termSeconds: 0, unusedSeconds: 0 });
    expect(remainingValueAt(1000, start, end, new Date('2025-01-01T00:00:03.500Z'))).toBe(600);
  });

  it('exact for amounts and terms far beyond a float product (BigInt inside)', () => {
    // 9e15 × 94_608_000 (3 years) overflows 2^53; the exact answer is 9e15 × 1/3 → 3e15
    expect(remainingValue(9_000_000_000_000_000, 31_536_000, 94_608_000)).toBe(3_000_000_000_000_000);
  });

  it(`property (${RUNS} cases): 0 ≤ refund ≤ paid, within half a cent of the exact value`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000_000 }),
        fc.integer({ min: 0, max: 3 * 366 * DAY }),
        fc.integer({ min: -DAY, max: 4 * 366 * DAY }),
        (paid, term, unused) => {
          const r = remainingValue(paid, unused, term);
          expect(Number.isSafeInteger(r)).toBe(true);
          expect(r).toBeGreaterThanOrEqual(0);
          expect(r).toBeLessThanOrEqual(paid);
          if (term > 0) {
            const u = BigInt(Math.min(Math.max(unused, 0), term));
            const t = BigInt(term);
            // |r − paid·u/t| ≤ ½  ⇔  |2·r·t − 2·paid·u| ≤ t, and exactly half rounds up
            const diff = 2n * BigInt(r) * t - 2n * BigInt(paid) * u;
            expect(diff <= t && diff > -t).toBe(true);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it(`property (${RUNS} cases): the later one unsubscribes, the less comes back`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.integer({ min: 1, max: 3 * 366 * DAY }),
        fc.integer({ min: 0, max: 3 * 366 * DAY }),
        fc.integer({ min: 0, max: 3 * 366 * DAY }),
        (paid, term, a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          expect(remainingValue(paid, lo, term)).toBeLessThanOrEqual(remainingValue(paid, hi, term));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
