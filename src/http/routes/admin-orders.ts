/**
 * Operators' order management (SPEC §8, §11 "see any order"): every account's orders with the
 * customer list's filters plus `account`, and any order's detail with its events.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { findOrder, searchOrders } from '../../app/query-orders.ts';
import type { Order, OrderEvent } from '../../domain/order.ts';
import { reply } from '../errors.ts';
import { page, presentOrder } from '../present.ts';
import { idParam } from '../schemas.ts';
import { endOfCreatedTo, orderListQuery } from './orders.ts';

const adminOrderListQuery = orderListQuery.extend({
  account: z.string().min(1).max(64).optional().describe('only this account’s orders (acc_…)'),
});

/** The customer's order envelope plus whose order it is. */
function presentAdminOrder(o: Order, events?: OrderEvent[]) {
  return { ...presentOrder(o, events), account: o.accountId };
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
}
