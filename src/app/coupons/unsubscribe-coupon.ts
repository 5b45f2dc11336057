/**
 * `POST /v1/reserved-instances/{id}/unsubscribe {dry_run?}` (SPEC §7): an active coupon stops
 * covering servers now and its remaining value — its value (what was paid, or what an
 * adjustment allocated to it) × unused / term, to the second, half-up to the cent, the formula
 * the apportionment uses — is refunded to where the money came from (servers/refund-to-sources.ts):
 * the purchase orders its value comes from (its own, or those of the coupons an adjustment made
 * it from), newest first.
 *
 * An `unsubscribe` order (product reserved_instance) with two line items, the coupon's id on both:
 * the old configuration (active, its value) and the new one (unsubscribed, the refund). The coupon
 * row is locked, so two unsubscribes (or an unsubscribe and an adjustment) refund once: the second
 * finds it no longer active (409 invalid_state).
 */
import type { Sql } from '../../db/client.ts';
import {
  type Coupon,
  couponFundingOrderIds,
  getCoupons,
  markCouponUnsubscribed,
} from '../../db/reserved-instances.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { LineItem, Order } from '../../domain/order.ts';
import { COMPUTE_FACTOR, isServerSpec } from '../../domain/server-specs.ts';
import { remainingValueAt, termSecondsAt } from '../../domain/unsubscribe-value.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { finishRefundingOrder, writeRefundingOrder } from '../servers/refund-to-sources.ts';
import { zeroLine, zeroOrder } from '../servers/zero-order.ts';

export interface UnsubscribeCouponCommand {
  accountId: string;
  couponId: string;
  dryRun?: boolean;
  idem?: IdempotencyLink;
}

function unsubscribeOrder(deps: Deps, c: Coupon, now: Date): Result<Order> {
  if (c.status !== 'active' || c.endsAt.getTime() <= now.getTime()) {
    const status = c.status === 'active' ? 'expired' : c.status;
    return err(
      'invalid_state',
      `Reserved instance ${c.id} is ${status}; only an active coupon can be unsubscribed`,
      {
        detail: { status },
      },
    );
  }
  const t = termSecondsAt(c.termStartsAt, c.termEndsAt, now);
  const refund = remainingValueAt(c.valueCents, c.termStartsAt, c.termEndsAt, now);
  const status = refund > 0 ? 'refunded' : 'paid';
  const computePower = isServerSpec(c.spec) ? COMPUTE_FACTOR[c.spec] * c.count : 0;
  const oldConfig = {
    spec: c.spec,
    count: c.count,
    years: c.years,
    compute_power: computePower,
    status: 'active',
    value_usd_cents: c.valueCents,
    term_starts_at: c.termStartsAt.toISOString(),
    term_ends_at: c.termEndsAt.toISOString(),
  };
  const line = (configuration: 'old' | 'new'): LineItem =>
    zeroLine(deps, {
      product: 'reserved_instance',
      config:
        configuration === 'old'
          ? { ...oldConfig, configuration }
          : {
              spec: c.spec,
              count: c.count,
              compute_power: computePower,
              status: 'unsubscribed',
              unsubscribed_at: now.toISOString(),
              term_seconds: t.termSeconds,
              unused_seconds: t.unusedSeconds,
              refund_usd_cents: refund,
              configuration,
            },
      previousConfig: configuration === 'new' ? oldConfig : null,
      paymentMode: 'prepaid',
      duration: null,
      instanceId: c.id,
      status,
      quantity: c.count,
      startsAt: configuration === 'new' ? now : c.startsAt,
      endsAt: configuration === 'old' ? now : c.endsAt,
    });
  return ok(
    zeroOrder(deps, {
      accountId: c.accountId,
      product: 'reserved_instance',
      type: 'unsubscribe',
      paymentMode: 'prepaid',
      refunded: refund,
      details: {
        reserved_instance_id: c.id,
        spec: c.spec,
        count: c.count,
        value_usd_cents: c.valueCents,
        term_seconds: t.termSeconds,
        unused_seconds: t.unusedSeconds,
        refund_usd_cents: refund,
        refund_to: 'sources',
        formula: 'value × unused_seconds / term_seconds, half-up to the cent',
      },
      lines: [line('old'), line('new')],
      at: now,
    }),
  );
}

export async function unsubscribeCoupon(deps: Deps, cmd: UnsubscribeCouponCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const notFound = err('not_found', `No such reserved instance: ${cmd.couponId}`, { param: 'id' });
  if (cmd.dryRun) {
    const [c] = await getCoupons(deps.db, cmd.accountId, [cmd.couponId]);
    return c ? unsubscribeOrder(deps, c, now) : notFound;
  }
  const done = await resultTx(deps.db, async (q: Sql) => {
    const [c] = await getCoupons(q, cmd.accountId, [cmd.couponId], { forUpdate: true });
    if (!c) return notFound;
    const built = unsubscribeOrder(deps, c, now);
    if (!built.ok) return built;
    if (!(await markCouponUnsubscribed(q, c.accountId, c.id, now))) {
      return err('invalid_state', `Reserved instance ${c.id} is no longer active`);
    }
    return writeRefundingOrder(q, deps, {
      order: built.value,
      orderIds: () => couponFundingOrderIds(q, c.accountId, c.id),
      reason: `unsubscribe ${c.id}: remaining value of the coupon`,
      causes: [
        'reserved instance unsubscribed: remaining value refunded to its sources',
        'reserved instance unsubscribed',
      ],
      idem: cmd.idem,
      at: now,
    });
  });
  return finishRefundingOrder(deps, done);
}
