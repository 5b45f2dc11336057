import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  apportionCoupons,
  apportionValue,
  type CouponSource,
  type CouponTarget,
} from './coupon-apportionment.ts';
import { errorStatus } from './errors.ts';
import { formatUsd, parseUsd } from './money.ts';
import { COMPUTE_FACTOR, SERVER_SPECS } from './server-specs.ts';

const YEAR = 365 * 86_400;
const RUNS = 10_000;

/** a source whose remaining value is exactly `usd` (the whole term unused) */
function fresh(spec: CouponSource['spec'], count: number, usd: string): CouponSource {
  return { spec, count, value: parseUsd(usd), unusedSeconds: YEAR, termSeconds: YEAR };
}

function values(r: ReturnType<typeof apportionCoupons>): string[] {
  if (!r.ok) throw new Error(r.error.code);
  return r.value.targets.map((t) => formatUsd(t.value));
}

describe('coupon apportionment: the seed (价值分摊规则)', () => {
  // sources of remaining value 100.00 and 50.00, each of compute power 2
  const sources = [fresh('s1.medium', 1, '100.00'), fresh('s1.small', 2, '50.00')];

  it.each<[string, CouponTarget[], string[]]>([
    ['merge into one target of compute 4', [{ spec: 's1.large', count: 1 }], ['150.00']],
    [
      'split into compute 1 and 3',
      [
        { spec: 's1.small', count: 1 },
        { spec: 's1.small', count: 3 },
      ],
      ['37.50', '112.50'],
    ],
    ['compute 4 as four s1.small', [{ spec: 's1.small', count: 4 }], ['150.00']],
    [
      'compute 2 + 2',
      [
        { spec: 's1.medium', count: 1 },
        { spec: 's1.small', count: 2 },
      ],
      ['75.00', '75.00'],
    ],
  ])('%s', (_name, targets, expected) => {
    const r = apportionCoupons(sources, targets);
    expect(values(r)).toEqual(expected);
    if (r.ok) {
      expect(r.value.totalValue).toBe(15000);
      expect(r.value.computePower).toBe(4);
      expect(r.value.sources.map((s) => s.remainingValue)).toEqual([10000, 5000]);
    }
  });

  it('step 1 uses the unsubscribe formula: 200.00 half used and 150.00 two thirds used → 100.00 + 50.00', () => {
    const r = apportionCoupons(
      [
        { spec: 's1.medium', count: 1, value: 20000, unusedSeconds: YEAR / 2, termSeconds: YEAR },
        { spec: 's1.small', count: 2, value: 15000, unusedSeconds: YEAR / 3, termSeconds: YEAR },
      ],
      [
        { spec: 's1.small', count: 1 },
        { spec: 's1.small', count: 3 },
      ],
    );
    expect(values(r)).toEqual(['37.50', '112.50']);
  });

  it('largest remainder: 100.00 over three equal targets is 33.34, 33.33, 33.33', () => {
    const r = apportionCoupons(
      [fresh('s1.medium', 1, '100.00'), fresh('s1.small', 1, '0.00')],
      [
        { spec: 's1.small', count: 1 },
        { spec: 's1.small', count: 1 },
        { spec: 's1.small', count: 1 },
      ],
    );
    expect(values(r)).toEqual(['33.34', '33.33', '33.33']);
  });

  it('different total compute power → compute_power_mismatch (422)', () => {
    const r = apportionCoupons(sources, [{ spec: 's1.large', count: 2 }]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('compute_power_mismatch');
      expect(errorStatus[r.error.code]).toBe(422);
      expect(r.error.detail).toEqual({ source_compute_power: 4, target_compute_power: 8 });
    }
    const fewer = apportionCoupons(sources, [{ spec: 's1.small', count: 3 }]);
    expect(!fewer.ok && fewer.error.code).toBe('compute_power_mismatch');
  });

  it('malformed requests are invalid_request', () => {
    const bad = (s: CouponSource[], t: CouponTarget[]) => {
      const r = apportionCoupons(s, t);
      return r.ok ? 'ok' : `${r.error.code}:${r.error.param}`;
    };
    expect(bad([], [{ spec: 's1.small', count: 1 }])).toBe('invalid_request:sources');
    expect(bad(sources, [])).toBe('invalid_request:targets');
    expect(
      bad(sources, [
        { spec: 's1.small', count: 0 },
        { spec: 's1.small', count: 4 },
      ]),
    ).toBe('invalid_request:targets');
    expect(bad(sources, [{ spec: 's9.huge' as 's1.small', count: 4 }])).toBe('invalid_request:targets');
    expect(bad([{ ...sources[0]!, count: 1.5 }], [{ spec: 's1.small', count: 2 }])).toBe(
      'invalid_request:sources',
    );
  });

  it('apportionValue alone', () => {
    expect(apportionValue(15000, 4, [1, 3])).toEqual({ ok: true, value: [3750, 11250] });
    const r = apportionValue(15000, 4, [1, 2]);
    expect(!r.ok && r.error.code).toBe('compute_power_mismatch');
  });
});

const specArb = fc.constantFrom(...SERVER_SPECS);
const sourceArb = fc.record({
  spec: specArb,
  count: fc.integer({ min: 1, max: 50 }),
  value: fc.integer({ min: 0, max: 100_000_000 }),
  termSeconds: fc.integer({ min: 1, max: 3 * YEAR + 86_400 }),
  unusedFraction: fc.integer({ min: 0, max: 1000 }),
});
const targetArb = fc.record({ spec: specArb, count: fc.integer({ min: 1, max: 50 }) });

/** sources and targets made to have equal compute power by topping the lower side up with s1.small */
const balancedArb = fc
  .tuple(
    fc.array(sourceArb, { minLength: 1, maxLength: 8 }),
    fc.array(targetArb, { minLength: 1, maxLength: 8 }),
    sourceArb,
  )
  .map(([rawSources, rawTargets, filler]) => {
    const sources: CouponSource[] = rawSources.map((s) => ({
      spec: s.spec,
      count: s.count,
      value: s.value,
      termSeconds: s.termSeconds,
      unusedSeconds: Math.floor((s.termSeconds * s.unusedFraction) / 1000),
    }));
    const targets: CouponTarget[] = [...rawTargets];
    const power = (xs: readonly CouponTarget[]) =>
      xs.reduce((a, x) => a + COMPUTE_FACTOR[x.spec] * x.count, 0);
    const gap = power(sources) - power(targets);
    if (gap > 0) targets.push({ spec: 's1.small', count: gap });
    if (gap < 0)
      sources.push({
        spec: 's1.small',
        count: -gap,
        value: filler.value,
        termSeconds: filler.termSeconds,
        unusedSeconds: 0,
      });
    return { sources, targets };
  });

describe(`coupon apportionment properties (${RUNS} cases each)`, () => {
  it('values are conserved to the cent and each target is within a cent of its exact share', () => {
    fc.assert(
      fc.property(balancedArb, ({ sources, targets }) => {
        const r = apportionCoupons(sources, targets);
        expect(r.ok).toBe(true);
        if (!r.ok) return;
        const { totalValue, computePower } = r.value;
        expect(r.value.sources.reduce((a, s) => a + s.remainingValue, 0)).toBe(totalValue);
        expect(r.value.targets.reduce((a, t) => a + t.value, 0)).toBe(totalValue);
        expect(r.value.targets.reduce((a, t) => a + t.computePower, 0)).toBe(computePower);
        for (const [i, s] of r.value.sources.entries()) {
          expect(s.remainingValue).toBeGreaterThanOrEqual(0);
          expect(s.remainingValue).toBeLessThanOrEqual(sources[i]!.value);
        }
        for (const t of r.value.targets) {
          expect(t.value).toBeGreaterThanOrEqual(0);
          // |value − power/total × sum| < 1 cent  ⇔  |value·P − power·sum| < P
          const d = BigInt(t.value) * BigInt(computePower) - BigInt(t.computePower) * BigInt(totalValue);
          expect(d < BigInt(computePower) && d > -BigInt(computePower)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('any other target total is compute_power_mismatch', () => {
    fc.assert(
      fc.property(
        balancedArb,
        fc.integer({ min: 1, max: 20 }),
        fc.boolean(),
        ({ sources, targets }, extra, add) => {
          const changed: CouponTarget[] = add
            ? [...targets, { spec: 's1.small', count: extra }]
            : targets.length > 1
              ? targets.slice(1)
              : [{ spec: targets[0]!.spec, count: targets[0]!.count + extra }];
          const r = apportionCoupons(sources, changed);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.error.code).toBe('compute_power_mismatch');
        },
      ),
      { numRuns: RUNS },
    );
  });
});
