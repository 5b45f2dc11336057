/**
 * Reserved-instance coupons (SPEC §7) as the API shows them: the coupon, and the result of an
 * adjustment (split, merge, change spec) with each source's remaining value and each target's
 * allocated value.
 */
import { z } from 'zod';
import type { Coupon } from '../db/reserved-instances.ts';
import type { Order } from '../domain/order.ts';
import { COMPUTE_FACTOR, isServerSpec, SERVER_SPECS } from '../domain/server-specs.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';
import { orderSchema, presentOrder } from './order.ts';

const spec = z.enum(SERVER_SPECS);

export const reservedInstanceSchema = z
  .object({
    id: z.string().describe('ri_…'),
    object: z.literal('reserved_instance'),
    spec,
    count: z.number().int().describe('instances it covers'),
    years: z
      .number()
      .int()
      .describe('1 or 3 (a coupon made by an adjustment: that of the source it takes its end from)'),
    compute_power: z.number().int().describe('compute-power factor of the spec × count'),
    status: z
      .enum(['active', 'adjusted', 'unsubscribed', 'expired'])
      .describe('at the time of the request: an active coupon past ends_at is expired'),
    value_usd: money.describe(
      'its value over its term: what was paid, or what the adjustment that made it allocated; later adjustments use it',
    ),
    term_starts_at: timestamp,
    term_ends_at: timestamp,
    starts_at: timestamp.describe('valid from'),
    ends_at: timestamp.describe('valid until'),
    order: z.string().describe('the order that created it (ord_…): a new order, or an ri_adjust order'),
    replaced_by_order: z.string().nullable().describe('the ri_adjust order that replaced it, if adjusted'),
    created_at: timestamp,
  })
  .meta({ id: 'ReservedInstance' });

export function presentReservedInstance(c: Coupon, now: Date): z.infer<typeof reservedInstanceSchema> {
  const status = c.status === 'active' && c.endsAt.getTime() <= now.getTime() ? 'expired' : c.status;
  return {
    id: c.id,
    object: 'reserved_instance',
    spec: c.spec as (typeof SERVER_SPECS)[number],
    count: c.count,
    years: c.years,
    compute_power: isServerSpec(c.spec) ? COMPUTE_FACTOR[c.spec] * c.count : 0,
    status,
    value_usd: usd(c.valueCents),
    term_starts_at: iso(c.termStartsAt),
    term_ends_at: iso(c.termEndsAt),
    starts_at: iso(c.startsAt),
    ends_at: iso(c.endsAt),
    order: c.createdByOrderId,
    replaced_by_order: c.replacedByOrderId,
    created_at: iso(c.createdAt),
  };
}

export const reservedInstanceAdjustmentSchema = z
  .object({
    object: z.literal('reserved_instance_adjustment'),
    dry_run: z.boolean(),
    at: timestamp.describe('the time the remaining values are computed at'),
    compute_power: z.number().int().describe('the sources’ total compute power (= the targets’)'),
    total_value_usd: money.describe('Σ sources’ remaining value = Σ targets’ value_usd'),
    sources: z.array(
      z.object({
        id: z.string(),
        spec,
        count: z.number().int(),
        compute_power: z.number().int(),
        value_usd: money.describe('its value over its term'),
        remaining_value_usd: money.describe('value × unused seconds / term seconds, half-up to the cent'),
      }),
    ),
    targets: z.array(
      z.object({
        id: z.string().nullable().describe('the new coupon (ri_…); null in a dry run'),
        spec,
        count: z.number().int(),
        years: z.number().int(),
        compute_power: z.number().int(),
        value_usd: money.describe(
          'compute power ÷ the sources’ total × total_value_usd, by largest remainder',
        ),
        starts_at: timestamp.describe('now'),
        ends_at: timestamp.describe('the latest end among the sources'),
      }),
    ),
    order: orderSchema.nullable().describe('the ri_adjust order (payable 0.00); null in a dry run'),
  })
  .meta({ id: 'ReservedInstanceAdjustment' });

export interface AdjustmentView {
  dryRun: boolean;
  at: Date;
  order: Order | null;
  computePower: number;
  totalValue: number;
  sources: { coupon: Coupon; computePower: number; remainingValue: number }[];
  targets: {
    id: string | null;
    spec: string;
    count: number;
    years: number;
    computePower: number;
    value: number;
    startsAt: Date;
    endsAt: Date;
  }[];
}

export function presentAdjustment(a: AdjustmentView): z.infer<typeof reservedInstanceAdjustmentSchema> {
  return {
    object: 'reserved_instance_adjustment',
    dry_run: a.dryRun,
    at: iso(a.at),
    compute_power: a.computePower,
    total_value_usd: usd(a.totalValue),
    sources: a.sources.map((s) => ({
      id: s.coupon.id,
      spec: s.coupon.spec as (typeof SERVER_SPECS)[number],
      count: s.coupon.count,
      compute_power: s.computePower,
      value_usd: usd(s.coupon.valueCents),
      remaining_value_usd: usd(s.remainingValue),
    })),
    targets: a.targets.map((t) => ({
      id: t.id,
      spec: t.spec as (typeof SERVER_SPECS)[number],
      count: t.count,
      years: t.years,
      compute_power: t.computePower,
      value_usd: usd(t.value),
      starts_at: iso(t.startsAt),
      ends_at: iso(t.endsAt),
    })),
    order: a.order ? presentOrder(a.order) : null,
  };
}
