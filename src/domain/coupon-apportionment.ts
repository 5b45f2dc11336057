/**
 * Reserved-instance coupon adjustment (`ri_adjust`: split, merge, change spec), the seed's value
 * apportionment (价值分摊规则, SPEC §7):
 *  1. the remaining value of each source coupon, by the unsubscribe formula (value × unused /
 *     term, half-up to the cent), summed;
 *  2. each target's value = its compute power / the sources' total compute power × that sum,
 *     split by largest remainder (money.ts `allocate`) so the targets add up to the sum exactly.
 * Targets must have the same total compute power as the sources, else `compute_power_mismatch`.
 * Compute power = compute-power factor of the spec × instance count.
 */
import { err, ok, type Result } from './errors.ts';
import { allocate, type Cents, sum } from './money.ts';
import { COMPUTE_FACTOR, computePower, isServerSpec, type ServerSpec } from './server-specs.ts';
import { remainingValue } from './unsubscribe-value.ts';

export interface CouponSource {
  spec: ServerSpec;
  count: number;
  /** the coupon's value for its whole term: what was paid, or what an earlier adjustment allocated */
  value: Cents;
  /** unused whole seconds of the term (clamped into [0, termSeconds]) */
  unusedSeconds: number | bigint;
  /** the term in seconds */
  termSeconds: number | bigint;
}

export interface CouponTarget {
  spec: ServerSpec;
  count: number;
}

export interface ApportionedSource {
  spec: ServerSpec;
  count: number;
  computePower: number;
  /** value × unused / term, half-up to the cent */
  remainingValue: Cents;
}

export interface ApportionedTarget {
  spec: ServerSpec;
  count: number;
  computePower: number;
  /** its share of the sources' total remaining value */
  value: Cents;
}

export interface Apportionment {
  sources: ApportionedSource[];
  targets: ApportionedTarget[];
  /** the sources' total compute power (= the targets') */
  computePower: number;
  /** Σ sources' remaining value = Σ targets' value */
  totalValue: Cents;
}

function checkItems(items: readonly { spec: unknown; count: unknown }[], param: string) {
  if (items.length === 0) return err('invalid_request', `${param} must not be empty`, { param });
  for (const [i, it] of items.entries()) {
    if (!isServerSpec(it.spec)) {
      return err('invalid_request', `${param}[${i}].spec is not a server spec`, { param });
    }
    if (typeof it.count !== 'number' || !Number.isSafeInteger(it.count) || it.count < 1) {
      return err('invalid_request', `${param}[${i}].count must be a positive integer`, { param });
    }
  }
  return null;
}

/**
 * Step 2 alone: splits `totalValue` over targets of the given compute powers, in proportion, by
 * largest remainder (ties to the earlier target). The targets' powers must add up to
 * `sourceComputePower`, else compute_power_mismatch.
 */
export function apportionValue(
  totalValue: Cents,
  sourceComputePower: number,
  targetComputePowers: readonly number[],
): Result<Cents[]> {
  const targetPower = sum(targetComputePowers);
  if (targetPower !== sourceComputePower) {
    return err(
      'compute_power_mismatch',
      `targets have compute power ${targetPower}, the sources ${sourceComputePower}`,
      {
        param: 'targets',
        detail: { source_compute_power: sourceComputePower, target_compute_power: targetPower },
      },
    );
  }
  if (targetComputePowers.some((p) => p <= 0)) {
    return err('invalid_request', 'every target must have a positive compute power', { param: 'targets' });
  }
  return ok(allocate(totalValue, targetComputePowers));
}

/**
 * Both steps. Errors: invalid_request (no sources or targets, an unknown spec, a count that is not
 * a positive integer), compute_power_mismatch (the totals differ). Values and terms are trusted
 * (they come from the store); a negative value or term is a bug and throws.
 */
export function apportionCoupons(
  sources: readonly CouponSource[],
  targets: readonly CouponTarget[],
): Result<Apportionment> {
  const bad = checkItems(sources, 'sources') ?? checkItems(targets, 'targets');
  if (bad) return bad;
  const src: ApportionedSource[] = sources.map((s) => ({
    spec: s.spec,
    count: s.count,
    computePower: computePower(s.spec, s.count),
    remainingValue: remainingValue(s.value, s.unusedSeconds, s.termSeconds),
  }));
  const sourcePower = sum(src.map((s) => s.computePower));
  const totalValue = sum(src.map((s) => s.remainingValue));
  const targetPowers = targets.map((t) => COMPUTE_FACTOR[t.spec] * t.count);
  const split = apportionValue(totalValue, sourcePower, targetPowers);
  if (!split.ok) return split;
  return ok({
    sources: src,
    targets: targets.map((t, i) => ({
      spec: t.spec,
      count: t.count,
      computePower: targetPowers[i]!,
      value: split.value[i]!,
    })),
    computePower: sourcePower,
    totalValue,
  });
}
