import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  allocate,
  divRoundHalfUp,
  formatPrice4,
  formatUsd,
  lineAmount,
  MoneyError,
  max,
  min,
  mulDivHalfUp,
  parsePrice4,
  parseUsd,
  subtract,
  sum,
} from './money.ts';

const RUNS = 10_000;

describe('parseUsd', () => {
  it('parses decimal strings', () => {
    expect(parseUsd('225.00')).toBe(22500);
    expect(parseUsd('225')).toBe(22500);
    expect(parseUsd('225.5')).toBe(22550);
    expect(parseUsd(' 0.01 ')).toBe(1);
    expect(parseUsd('-0.05')).toBe(-5);
    expect(parseUsd('1.000')).toBe(100);
  });

  it('parses JSON numbers', () => {
    expect(parseUsd(4.5)).toBe(450);
    expect(parseUsd(225)).toBe(22500);
    expect(parseUsd(0.1)).toBe(10);
    expect(parseUsd(-3.25)).toBe(-325);
  });

  it('never returns negative zero', () => {
    expect(Object.is(parseUsd('-0'), 0)).toBe(true);
    expect(Object.is(parseUsd('-0.00'), 0)).toBe(true);
  });

  it('refuses more than 2 decimals instead of rounding', () => {
    expect(() => parseUsd('1.005')).toThrow(MoneyError);
    expect(() => parseUsd(1.005)).toThrow(MoneyError);
    expect(() => parseUsd(0.1 + 0.2)).toThrow(MoneyError);
  });

  it('refuses what is not a plain decimal', () => {
    for (const bad of ['', 'abc', '1e3', '+5', '.5', '5.', '1,000.00', '0x10', '12345678901234']) {
      expect(() => parseUsd(bad), bad).toThrow(MoneyError);
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1e-7]) {
      expect(() => parseUsd(bad), String(bad)).toThrow(MoneyError);
    }
  });
});

describe('parsePrice4', () => {
  it('parses up to 4 decimals', () => {
    expect(parsePrice4('4.50')).toBe(45000);
    expect(parsePrice4(4.5)).toBe(45000);
    expect(parsePrice4('1.2345')).toBe(12345);
    expect(() => parsePrice4('1.23456')).toThrow(MoneyError);
  });
});

describe('formatUsd / formatPrice4', () => {
  it('formats cents', () => {
    expect(formatUsd(22500)).toBe('225.00');
    expect(formatUsd(0)).toBe('0.00');
    expect(formatUsd(-5)).toBe('-0.05');
    expect(formatUsd(-12345)).toBe('-123.45');
    expect(formatUsd(1)).toBe('0.01');
  });

  it('refuses non-integers', () => {
    expect(() => formatUsd(1.5)).toThrow(MoneyError);
    expect(() => formatUsd(Number.NaN)).toThrow(MoneyError);
  });

  it('formats prices with 2 or 4 decimals', () => {
    expect(formatPrice4(45000)).toBe('4.50');
    expect(formatPrice4(12345)).toBe('1.2345');
    expect(formatPrice4(-25000)).toBe('-2.50');
  });
});

describe('lineAmount', () => {
  it('multiplies price by quantity', () => {
    expect(lineAmount(45000, 50)).toBe(22500);
    // 4.00 × 100 = 400.00 = 40000 cents
    expect(lineAmount(40000, 100)).toBe(40000);
    expect(lineAmount(40000, 1000)).toBe(400000);
    expect(lineAmount(60000, 20)).toBe(12000);
    expect(lineAmount(55000, 20, 12)).toBe(132000);
  });

  it('rounds half-up to the cent, once', () => {
    expect(lineAmount(12345, 1)).toBe(123);
    expect(lineAmount(12350, 1)).toBe(124);
    expect(lineAmount(12349, 1)).toBe(123);
    expect(lineAmount(50, 1)).toBe(1);
    expect(lineAmount(49, 1)).toBe(0);
    // rounded at the end, not per unit: 0.0050 × 3 = 0.015 → 0.02 (per-unit rounding would give 0.03)
    expect(lineAmount(50, 3)).toBe(2);
  });

  it('refuses non-integers and overflow', () => {
    expect(() => lineAmount(45000, 1.5)).toThrow(MoneyError);
    expect(() => lineAmount(4.5, 1)).toThrow(MoneyError);
    expect(() => lineAmount(Number.MAX_SAFE_INTEGER, 1000)).toThrow(MoneyError);
  });

  it('equals the exact product rounded half-up (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 100_000 }), (p, q) => {
        const exact = BigInt(p) * BigInt(q); // in 1/10000 USD
        const got = BigInt(lineAmount(p, q)) * 100n; // back in 1/10000 USD
        const diff = exact - got;
        return diff >= -50n && diff < 50n;
      }),
      { numRuns: RUNS },
    );
  });
});

describe('divRoundHalfUp / mulDivHalfUp', () => {
  it('rounds half away from zero', () => {
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
    expect(divRoundHalfUp(5n, -2n)).toBe(-3n);
    expect(divRoundHalfUp(4n, 3n)).toBe(1n);
    expect(divRoundHalfUp(0n, 7n)).toBe(0n);
    expect(() => divRoundHalfUp(1n, 0n)).toThrow(MoneyError);
  });

  it('takes percentages', () => {
    expect(mulDivHalfUp(120000, 10, 100)).toBe(12000);
    expect(mulDivHalfUp(15, 10, 100)).toBe(2); // 1.5 → 2
    expect(mulDivHalfUp(14, 10, 100)).toBe(1);
    expect(mulDivHalfUp(-15, 10, 100)).toBe(-2);
  });
});

describe('sum / add / subtract / min / max', () => {
  it('adds integers', () => {
    expect(sum([])).toBe(0);
    expect(sum([1, 2, 3])).toBe(6);
    expect(add(100, -250)).toBe(-150);
    expect(subtract(100, 250)).toBe(-150);
    expect(min(3, -4)).toBe(-4);
    expect(max(3, -4)).toBe(3);
  });

  it('refuses non-integers and unsafe results', () => {
    expect(() => sum([1, 0.5])).toThrow(MoneyError);
    expect(() => add(Number.MAX_SAFE_INTEGER, 1)).toThrow(MoneyError);
    expect(() => min(1.5, 1)).toThrow(MoneyError);
  });
});

describe('allocate', () => {
  it('splits by largest remainder, ties to the earlier part', () => {
    expect(allocate(1000, [1000, 1000, 1000])).toEqual([334, 333, 333]);
    expect(allocate(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocate(2, [1, 1, 1])).toEqual([1, 1, 0]);
    expect(allocate(10, [1, 0, 1])).toEqual([5, 0, 5]);
    expect(allocate(0, [1, 2, 3])).toEqual([0, 0, 0]);
    expect(allocate(7, [5])).toEqual([7]);
    // largest remainder wins, not the earliest: 100 × [1, 2] / 3 = [33.33, 66.67]
    expect(allocate(100, [1, 2])).toEqual([33, 67]);
  });

  it('accepts bigint weights', () => {
    expect(allocate(1000, [1n, 1n, 2n])).toEqual([250, 250, 500]);
  });

  it('refuses bad input', () => {
    expect(() => allocate(-1, [1])).toThrow(MoneyError);
    expect(() => allocate(1, [])).toThrow(MoneyError);
    expect(() => allocate(1, [0, 0])).toThrow(MoneyError);
    expect(() => allocate(1, [1, -1])).toThrow(MoneyError);
    expect(() => allocate(1.5, [1])).toThrow(MoneyError);
  });

  const totals = fc.integer({ min: 0, max: 1_000_000_000_000 });
  const weightLists = fc
    .array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 20 })
    .filter((ws) => ws.some((w) => w > 0));

  it('parts always add up to the total (property)', () => {
    fc.assert(
      fc.property(totals, weightLists, (total, ws) => {
        const parts = allocate(total, ws);
        return parts.length === ws.length && parts.reduce((a, b) => a + b, 0) === total;
      }),
      { numRuns: RUNS },
    );
  });

  it('each part is within 1 cent of its exact share and never negative (property)', () => {
    fc.assert(
      fc.property(totals, weightLists, (total, ws) => {
        const parts = allocate(total, ws);
        const wsum = ws.reduce((a, b) => a + BigInt(b), 0n);
        return parts.every((p, i) => {
          if (p < 0 || !Number.isSafeInteger(p)) return false;
          // |p − total × w / wsum| < 1  ⇔  |p × wsum − total × w| < wsum
          const diff = BigInt(p) * wsum - BigInt(total) * BigInt(ws[i]!);
          return (diff < 0n ? -diff : diff) < wsum;
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('gives nothing to zero weights (property)', () => {
    fc.assert(
      fc.property(totals, weightLists, (total, ws) => {
        const parts = allocate(total, ws);
        return ws.every((w, i) => w !== 0 || parts[i] === 0);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parse / format round trip', () => {
  const cents = fc.integer({ min: -999_999_999_999_999, max: 999_999_999_999_999 });

  it('parseUsd(formatUsd(c)) === c (property)', () => {
    fc.assert(
      fc.property(cents, (c) => parseUsd(formatUsd(c)) === c),
      { numRuns: RUNS },
    );
  });

  it('formatUsd(parseUsd(s)) is the canonical form of s (property)', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.bigInt({ min: 0n, max: 9_999_999_999_999n }),
        fc.integer({ min: 0, max: 99 }),
        (neg, whole, frac) => {
          const s = `${neg ? '-' : ''}${whole}.${String(frac).padStart(2, '0')}`;
          const expected = whole === 0n && frac === 0 ? '0.00' : s;
          return formatUsd(parseUsd(s)) === expected;
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('parsePrice4(formatPrice4(p)) === p (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -900_000_000_000_000, max: 900_000_000_000_000 }),
        (p) => parsePrice4(formatPrice4(p)) === p,
      ),
      { numRuns: RUNS },
    );
  });

  it('parses JSON numbers with at most 2 decimals like their string form (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -100_000_000_000, max: 100_000_000_000 }), (c) => {
        const n = Number(formatUsd(c));
        return parseUsd(n) === c;
      }),
      { numRuns: RUNS },
    );
  });
});
