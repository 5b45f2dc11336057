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
import { MAX_REFUND_REASON, refundOrder, retryRefund } from '../../app/refunds/refund-order.ts';
import { listOf, page } from '../../contract/list.ts';
import { adminOrderSchema, presentAdminOrder } from '../../contract/order.ts';
import { presentRefundOutcome, refundDryRunSchema, refundedOrderSchema } from '../../contract/refund-plan.ts';
import { reply } from '../errors.ts';
import { idParam, usdCents } from '../schemas.ts';
import { orderFilter, orderListQuery } from './orders.ts';

const adminOrderListQuery = orderListQuery.extend({
  account: z.string().min(1).max(64).optional().describe('only this account’s orders (acc_…)'),
});

const refundBody = z.strictObject({
  amount_usd: usdCents
    .optional()
    .describe(
      'greater than 0 and at most what is left to refund, at most two decimals; omit for everything left',
    ),
  reason: z
    .string()
    .trim()
    .min(1)
    .max(MAX_REFUND_REASON)
    .describe('why, kept with the refund and in the order events'),
  dry_run: z.boolean().optional().describe('true: show the plan with every term, change nothing'),
});

const refundOutcomeSchema = z
  .union([refundedOrderSchema, refundDryRunSchema])
  .describe('the order with the refund and its plan; with dry_run, the plan alone');

export function adminOrderRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/admin/v1/orders',
    {
      schema: {
        operationId: 'adminListOrders',
        tags: ['admin', 'orders'],
        summary: "List every account's orders, newest first; the customer filters plus account",
        querystring: adminOrderListQuery,
        response: { 200: listOf(adminOrderSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchOrders(deps, {
        accountId: q.account ?? null,
        limit: q.limit,
        ...orderFilter(q),
      });
      return reply(res, result, (rows) => page(rows, q.limit, (o) => presentAdminOrder(o)));
    },
  );
  r.get(
    '/admin/v1/orders/:id',
    {
      schema: {
        operationId: 'adminGetOrder',
        tags: ['admin', 'orders'],
        summary: 'Retrieve any order, with its events',
        params: idParam,
        response: { 200: adminOrderSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await findOrder(deps, null, req.params.id), (o) => presentAdminOrder(o.order, o.events)),
  );
  r.post(
    '/admin/v1/orders/:id/refund',
    {
      schema: {
        operationId: 'refundOrder',
        tags: ['admin', 'orders'],
        summary:
          'Refund an order to its sources (card, balance, vouchers), or show the plan with dry_run: true',
        params: idParam,
        body: refundBody,
        response: { 200: refundOutcomeSchema },
        errors: ['not_found', 'invalid_state', 'refund_exceeds_paid'],
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
        operationId: 'retryRefund',
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
        response: { 200: refundOutcomeSchema },
        errors: ['not_found', 'invalid_state'],
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
