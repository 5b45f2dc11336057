/**
 * Changing reserved-instance coupons (SPEC §7 `ri_adjust`: split, merge, change spec):
 * `POST /v1/reserved-instances/adjust {sources, targets, dry_run?}` with the seed's apportionment
 * (domain/coupon-apportionment.ts): the remaining value of each source at now by the unsubscribe
 * formula (its value × unused / term, to the second, half-up to the cent), summed; each target
 * gets its compute power ÷ the sources' total × that sum, by largest remainder;
 * `422 compute_power_mismatch` when the totals differ.
 *
 * The targets' term (the rule): from now to the latest end among the sources; the allocated value
 * is the target's value over that term, which later adjustments and unsubscribes use. A target
 * keeps the `years` of the source it takes its end from.
 *
 * Not a dry run: one `ri_adjust` order, payable 0.00, whose line items are the old coupons (each
 * with its previous_config and its remaining value) and the new ones (with their allocated value),
 * each with its instance id; the sources become `adjusted` and the targets are created, in one
 * transaction. The sources must be the caller's active coupons: another account's or an unknown id
 * is 404, an adjusted, unsubscribed or expired one 409 invalid_state. The sources are locked
 * (FOR UPDATE, id order) and re-checked under the lock, so two adjustments of one coupon cannot
 * both win: the second sees it adjusted and gets 409.
 */
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertOrder } from '../../db/orders.ts';
import { type Coupon, getCoupons, insertCoupons, markCouponsAdjusted } from '../../db/reserved-instances.ts';
import { apportionCoupons } from '../../domain/coupon-apportionment.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Cents } from '../../domain/money.ts';
import { type LineItem, type Order, orderTotals } from '../../domain/order.ts';
import type { ServerSpec } from '../../domain/server-specs.ts';
import { termSecondsAt } from '../../domain/unsubscribe-value.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';

export interface AdjustCouponsCommand {
  accountId: string;
  sources: readonly string[];
  targets: readonly { spec: string; count: number }[];
  dryRun?: boolean;
  idem?: IdempotencyLink;
}

export interface AdjustedSource {
  coupon: Coupon;
  computePower: number;
  remainingValue: Cents;
}

export interface AdjustedTarget {
  /** the new coupon's id (null in a dry run) */
  id: string | null;
  spec: string;
  count: number;
  years: number;
  computePower: number;
  value: Cents;
  startsAt: Date;
  endsAt: Date;
}

export interface Adjustment {
  dryRun: boolean;
  at: Date;
  /** the ri_adjust order (null in a dry run) */
  order: Order | null;
  computePower: number;
  totalValue: Cents;
  sources: AdjustedSource[];
  targets: AdjustedTarget[];
}

function notActive(c: Coupon, now: Date) {
  const status = c.status === 'active' && c.endsAt.getTime() <= now.getTime() ? 'expired' : c.status;
  return err(
    'invalid_state',
    `Reserved instance ${c.id} is ${status}; only an active coupon can be adjusted`,
    {
      param: 'sources',
      detail: { id: c.id, status },
    },
  );
}

/** The sources (of the account, active now), the apportionment and the targets' term. */
async function plan(
  q: Sql,
  cmd: AdjustCouponsCommand,
  now: Date,
  lock: boolean,
): Promise<Result<Adjustment>> {
  if (cmd.sources.length === 0)
    return err('invalid_request', 'sources must not be empty', { param: 'sources' });
  if (new Set(cmd.sources).size !== cmd.sources.length) {
    return err('invalid_request', 'a source coupon is named twice', { param: 'sources' });
  }
  const rows = await getCoupons(q, cmd.accountId, cmd.sources, { forUpdate: lock });
  const byId = new Map(rows.map((c) => [c.id, c]));
  const coupons: Coupon[] = [];
  for (const id of cmd.sources) {
    const c = byId.get(id);
    if (!c) return err('not_found', `No such reserved instance: ${id}`, { param: 'sources' });
    if (c.status !== 'active' || c.endsAt.getTime() <= now.getTime()) return notActive(c, now);
    coupons.push(c);
  }
  const apportioned = apportionCoupons(
    coupons.map((c) => {
      const t = termSecondsAt(c.termStartsAt, c.termEndsAt, now);
      return {
        spec: c.spec as ServerSpec,
        count: c.count,
        value: c.valueCents,
        unusedSeconds: t.unusedSeconds,
        termSeconds: t.termSeconds,
      };
    }),
    cmd.targets.map((t) => ({ spec: t.spec as ServerSpec, count: t.count })),
  );
  if (!apportioned.ok) return apportioned;
  const a = apportioned.value;
  // the targets' term: from now to the latest end among the sources (ties: the longer coupon)
  const latest = coupons.reduce((l, c) =>
    c.endsAt.getTime() > l.endsAt.getTime() ||
    (c.endsAt.getTime() === l.endsAt.getTime() && c.years > l.years)
      ? c
      : l,
  );
  return ok({
    dryRun: cmd.dryRun === true,
    at: now,
    order: null,
    computePower: a.computePower,
    totalValue: a.totalValue,
    sources: coupons.map((coupon, i) => ({
      coupon,
      computePower: a.sources[i]!.computePower,
      remainingValue: a.sources[i]!.remainingValue,
    })),
    targets: a.targets.map((t) => ({
      id: null,
      spec: t.spec,
      count: t.count,
      years: latest.years,
      computePower: t.computePower,
      value: t.value,
      startsAt: now,
      endsAt: latest.endsAt,
    })),
  });
}

const ZERO = { original: 0, discount: 0, voucher: 0, payable: 0, paid: 0 };

/** The ri_adjust order: the old coupons and the new ones as separate lines, payable 0.00. */
function adjustOrder(deps: Deps, accountId: string, adj: Adjustment): Order {
  const now = adj.at;
  const sourceLines: LineItem[] = adj.sources.map((s) => ({
    id: deps.ids.next('oli'),
    product: 'reserved_instance',
    config: {
      role: 'source',
      spec: s.coupon.spec,
      count: s.coupon.count,
      compute_power: s.computePower,
      status: 'adjusted',
      remaining_value_usd_cents: s.remainingValue,
    },
    previousConfig: {
      spec: s.coupon.spec,
      count: s.coupon.count,
      years: s.coupon.years,
      compute_power: s.computePower,
      status: 'active',
      value_usd_cents: s.coupon.valueCents,
      term_starts_at: s.coupon.termStartsAt.toISOString(),
      term_ends_at: s.coupon.termEndsAt.toISOString(),
    },
    paymentMode: 'prepaid',
    duration: null,
    instanceId: s.coupon.id,
    status: 'paid',
    quantity: s.coupon.count,
    unitPrice4: 0,
    ...ZERO,
    startsAt: s.coupon.startsAt,
    endsAt: now,
  }));
  const targetLines: LineItem[] = adj.targets.map((t) => ({
    id: deps.ids.next('oli'),
    product: 'reserved_instance',
    config: {
      role: 'target',
      spec: t.spec,
      count: t.count,
      years: t.years,
      compute_power: t.computePower,
      value_usd_cents: t.value,
    },
    previousConfig: null,
    paymentMode: 'prepaid',
    duration: null,
    instanceId: t.id,
    status: 'paid',
    quantity: t.count,
    unitPrice4: 0,
    ...ZERO,
    startsAt: t.startsAt,
    endsAt: t.endsAt,
  }));
  const lines = [...sourceLines, ...targetLines];
  return {
    id: deps.ids.next('ord'),
    accountId,
    product: 'reserved_instance',
    type: 'ri_adjust',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...orderTotals(lines),
    refunded: 0,
    details: {
      sources: adj.sources.map((s) => s.coupon.id),
      targets: adj.targets.map((t) => t.id),
      compute_power: adj.computePower,
      total_value_usd_cents: adj.totalValue,
      ends_at: adj.targets[0]!.endsAt.toISOString(),
    },
    lines,
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  };
}

export async function adjustCoupons(deps: Deps, cmd: AdjustCouponsCommand): Promise<Result<Adjustment>> {
  const now = await deps.clock.now();
  if (cmd.dryRun) return plan(deps.db, cmd, now, false);
  return resultTx(deps.db, async (q) => {
    const planned = await plan(q, cmd, now, true);
    if (!planned.ok) return planned;
    const adj: Adjustment = {
      ...planned.value,
      targets: planned.value.targets.map((t) => ({ ...t, id: deps.ids.next('ri') })),
    };
    const order = adjustOrder(deps, cmd.accountId, adj);
    await insertOrder(q, order, 'reserved instances adjusted');
    const ids = adj.sources.map((s) => s.coupon.id);
    if ((await markCouponsAdjusted(q, cmd.accountId, ids, order.id, now)) !== ids.length) {
      return err('invalid_state', 'A source coupon was adjusted meanwhile', { param: 'sources' });
    }
    await insertCoupons(
      q,
      adj.targets.map((t) => ({
        id: t.id!,
        accountId: cmd.accountId,
        spec: t.spec,
        count: t.count,
        years: t.years,
        valueCents: t.value,
        termStartsAt: t.startsAt,
        termEndsAt: t.endsAt,
        startsAt: t.startsAt,
        endsAt: t.endsAt,
        createdByOrderId: order.id,
      })),
      now,
    );
    await emitOrderPaidEvents(q, deps, order, now);
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'order', order.id);
    return ok({ ...adj, order });
  });
}
