/**
 * Refunds (SPEC §5 "Refunds go back where the money came from"): the plan with every term of its
 * formulas (the dry runs of SPEC §4), a refund made, and the plan of cancelling a waiting order.
 */
import { z } from 'zod';
import { formatUsd, sum } from '../domain/money.ts';
import type { Order } from '../domain/order.ts';
import type { RefundPlan } from '../domain/refund-plan.ts';
import { money } from './fields.ts';
import { usd } from './json.ts';
import { adminOrderSchema, presentAdminOrder } from './order.ts';

const planFields = {
  paid_total_usd: money.describe(
    'everything the order took: paid_by_card + paid_by_balance + paid_by_vouchers (the order’s paid_usd is the cash part, card + balance)',
  ),
  paid_by_card_usd: money,
  paid_by_balance_usd: money,
  paid_by_vouchers_usd: money,
  already_refunded_usd: money.describe('to every source, by earlier refunds'),
  refundable_usd: money.describe('paid_total − already_refunded'),
  requested_usd: money.describe('what this refund gives back: to_card + to_balance + to vouchers'),
  to_card_usd: money,
  card_refunds: z.array(z.object({ payment_id: z.string(), amount_usd: money })),
  to_balance_usd: money,
  to_vouchers: z.array(
    z.object({
      voucher_id: z.string(),
      amount_usd: money,
      forfeited: z.boolean().describe('the voucher has expired: counted as refunded, not given back'),
    }),
  ),
  forfeited_usd: money,
  remaining_usd: money.describe('refundable − requested: what a later refund may still take'),
  resulting_payment_status: z.enum(['refunded', 'partially_refunded']),
  formula: z
    .object({ paid_total: z.string(), refundable: z.string(), requested: z.string(), remaining: z.string() })
    .describe('each term written out, e.g. "125.00 card + 100.00 balance + 0.00 vouchers = 225.00"'),
};

const refundPlanSchema = z.object(planFields).meta({ id: 'RefundPlan' });

/** POST /admin/v1/orders/{id}/refund with dry_run: the plan, nothing moves. */
export const refundDryRunSchema = z
  .object({
    object: z.literal('refund_plan'),
    dry_run: z.literal(true),
    order: z.string(),
    ...planFields,
  })
  .meta({ id: 'RefundDryRun' });

const refundSchema = z.object({
  id: z.string(),
  object: z.literal('refund'),
  status: z.string().describe('refunding (a card part in flight), succeeded or failed'),
  reason: z.string(),
  ...planFields,
});

/** A refund made: the order as it now is, with the refund and its plan. */
export const refundedOrderSchema = adminOrderSchema
  .extend({ refund: refundSchema })
  .meta({ id: 'RefundedOrder' });

/** POST /v1/orders/{id}/cancel with dry_run: what cancelling would refund. */
export const cancellationPlanSchema = z
  .object({
    object: z.literal('cancellation_plan'),
    dry_run: z.literal(true),
    order: z.string(),
    refund: refundPlanSchema.nullable().describe('null: nothing was paid, nothing comes back'),
  })
  .meta({ id: 'CancellationPlan' });

function presentRefundPlan(p: RefundPlan): z.infer<typeof refundPlanSchema> {
  const f = formatUsd;
  const vouchers = sum(p.toVouchers.map((v) => v.amount));
  return {
    paid_total_usd: usd(p.paid),
    paid_by_card_usd: usd(p.paidByCard),
    paid_by_balance_usd: usd(p.paidByBalance),
    paid_by_vouchers_usd: usd(p.paidByVouchers),
    already_refunded_usd: usd(p.alreadyRefunded),
    refundable_usd: usd(p.refundable),
    requested_usd: usd(p.requested),
    to_card_usd: usd(p.toCard),
    card_refunds: p.cardParts.map((c) => ({ payment_id: c.paymentId, amount_usd: usd(c.amount) })),
    to_balance_usd: usd(p.toBalance),
    to_vouchers: p.toVouchers.map((v) => ({
      voucher_id: v.voucherId,
      amount_usd: usd(v.amount),
      forfeited: v.forfeited,
    })),
    forfeited_usd: usd(p.forfeited),
    remaining_usd: usd(p.remaining),
    resulting_payment_status: p.resultingPaymentStatus,
    formula: {
      paid_total: `${f(p.paidByCard)} card + ${f(p.paidByBalance)} balance + ${f(p.paidByVouchers)} vouchers = ${f(p.paid)}`,
      refundable: `${f(p.paid)} paid total − ${f(p.alreadyRefunded)} already refunded = ${f(p.refundable)}`,
      requested: `${f(p.toCard)} to card + ${f(p.toBalance)} to balance + ${f(vouchers)} to vouchers (${f(p.forfeited)} of it forfeited) = ${f(p.requested)}`,
      remaining: `${f(p.refundable)} refundable − ${f(p.requested)} requested = ${f(p.remaining)}`,
    },
  };
}

/** A dry run: the plan; a refund: the order with the refund and its plan (refund-order.ts's outcome). */
export function presentRefundOutcome(r: {
  order: Order;
  plan: RefundPlan;
  refund: { id: string; status: string; reason: string } | null;
}): z.infer<typeof refundDryRunSchema> | z.infer<typeof refundedOrderSchema> {
  if (!r.refund) {
    return { object: 'refund_plan', dry_run: true, order: r.order.id, ...presentRefundPlan(r.plan) };
  }
  return {
    ...presentAdminOrder(r.order),
    refund: {
      id: r.refund.id,
      object: 'refund',
      status: r.refund.status,
      reason: r.refund.reason,
      ...presentRefundPlan(r.plan),
    },
  };
}

export function presentCancellationPlan(p: {
  order: Order;
  refund: RefundPlan | null;
}): z.infer<typeof cancellationPlanSchema> {
  return {
    object: 'cancellation_plan',
    dry_run: true,
    order: p.order.id,
    refund: p.refund ? presentRefundPlan(p.refund) : null,
  };
}
