/**
 * Operators' order management (SPEC §8, §11 "see any order"): every account's orders with the
 * customer list's filters plus `account`, and any order's detail with its events; refunds to the
 * sources with a dry run (SPEC §4, §5) and the retry of a failed card refund (§11).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { findOrder, searchOrders } from '../../app/orders/find-order.ts';
import {
  MAX_REFUND_REASON,
  type RefundOutcome,
  refundOrder,
  retryRefund,
} from '../../app/refunds/refund-order.ts';
import { page, presentOrder, presentRefundPlan } from '../../contract/present.ts';
import type { Order, OrderEvent } from '../../domain/order.ts';
import { reply } from '../errors.ts';
import { idParam, usdCents } from '../schemas.ts';
import { endOfCreatedTo, orderListQuery } from './orders.ts';

const adminOrderListQuery = orderListQuery.extend({
  account: z.string().min(1).max(64).optional().describe('only this account’s orders (acc_…)'),
});

const refundBody = z.strictObject({
  amount_usd: usdCents
    .optional()
    .describe('greater than 0 and at most what is left to refund; omit for everything left'),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(MAX_REFUND_REASON)
    .describe('why, kept with the refund and in the order events'),
  dry_run: z.boolean().optional().describe('true: show the plan with every term, change nothing'),
});

/** The customer's order envelope plus whose order it is. */
function presentAdminOrder(o: Order, events?: OrderEvent[]) {
  return { ...presentOrder(o, events), account: o.accountId };
}

/** A dry run: the plan; a refund: the order with the refund and its plan. */
export function presentRefundOutcome(r: RefundOutcome) {
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

export function adminOrderRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/admin/v1/orders',
    {
      schema: {
        tags: ['admin', 'orders'],
        summary: "List every account's orders, newest first; the customer filters plus account",
        querystring: adminOrderListQuery,
      },
    },
    async (req, res) => {
      const q = req.query;
      const createdTo = q.created_to ? endOfCreatedTo(q.created_to) : null;
      const result = await searchOrders(deps, {
        accountId: q.account ?? null,
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
        ...(q.id ? { id: q.id } : {}),
        ...(q.created_from ? { createdFrom: new Date(q.created_from) } : {}),
        ...(createdTo ? { createdTo } : {}),
        ...(q.product ? { product: q.product } : {}),
        ...(q.type ? { type: q.type } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.payment_status ? { paymentStatus: q.payment_status } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, (o) => presentAdminOrder(o)));
    },
  );
  r.get(
    '/admin/v1/orders/:id',
    {
      schema: { tags: ['admin', 'orders'], summary: 'Retrieve any order, with its events', params: idParam },
    },
    async (req, res) =>
      reply(res, await findOrder(deps, null, req.params.id), (o) => presentAdminOrder(o.order, o.events)),
  );
  r.post(
    '/admin/v1/orders/:id/refund',
    {
      schema: {
        tags: ['admin', 'orders'],
        summary:
          'Refund an order to its sources (card, balance, vouchers), or show the plan with dry_run: true',
        params: idParam,
        body: refundBody,
      },
    },
    async (req, res) =>
      reply(
        res,
        await refundOrder(deps, {
          orderId: req.params.id,
          accountId: null,
          ...(req.body.amount_usd !== undefined ? { amountCents: req.body.amount_usd } : {}),
          reason: req.body.reason,
          dryRun: req.body.dry_run === true,
          requestedBy: `admin:${req.adminId}`,
          ...(req.idem ? { idem: req.idem } : {}),
        }),
        presentRefundOutcome,
      ),
  );
  r.post(
    '/admin/v1/orders/:id/refund/retry',
    {
      schema: {
        tags: ['admin', 'orders'],
        summary:
          'Retry the failed card part of a refund (refund_failed → refunding → refunded), or with to: "balance" credit it to the balance instead',
        params: idParam,
        body: z
          .strictObject({
            to: z
              .enum(['card', 'balance'])
              .optional()
              .describe(
                'card (default): send it to the card again; balance: the card cannot take it, credit the balance',
              ),
          })
          .nullish(),
      },
    },
    async (req, res) =>
      reply(
        res,
        await retryRefund(deps, {
          orderId: req.params.id,
          requestedBy: `admin:${req.adminId}`,
          to: req.body?.to ?? 'card',
        }),
        presentRefundOutcome,
      ),
  );
}
