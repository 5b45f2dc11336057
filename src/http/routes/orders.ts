/** Customer orders: place, quote, get, list (SPEC §4). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { placeOrder } from '../../app/place-order.ts';
import { findOrder, searchOrders } from '../../app/query-orders.ts';
import { quoteOrder } from '../../app/quote-order.ts';
import { PLAN_CODES } from '../../domain/bandwidth-pricing.ts';
import { FULFILMENT_STATUSES, ORDER_TYPES, PAYMENT_STATUSES } from '../../domain/order-states.ts';
import { reply } from '../errors.ts';
import { usd } from '../json.ts';
import { page, presentOrder } from '../present.ts';
import { idParam, listQuery } from '../schemas.ts';

export const orderBody = z.strictObject({
  product: z.enum(['residential', 'mobile']).describe('bandwidth product'),
  gb: z.number().describe('GB of traffic, an integer from 1 to 100,000'),
  plan: z
    .enum(PLAN_CODES as [string, ...string[]])
    .optional()
    .describe('plan tier; default: the cheapest the quantity meets'),
  pay: z.literal('now').optional().describe('pay inside the request (default)'),
});

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 3600 * 1000;

/** An ISO date (a UTC day) or a date-time with its offset, in the years 0001–9999 (in UTC). */
const isoDate = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .refine((s) => {
    const year = new Date(s).getUTCFullYear();
    return year >= 1 && year <= 9999;
  }, 'must be a date or date-time between the years 0001 and 9999');

/**
 * The exclusive upper bound of an inclusive `created_to`: a date includes its whole UTC day, a
 * date-time its own millisecond (timestamps are kept to the millisecond). Null: nothing is later.
 */
function endOfCreatedTo(s: string): Date | null {
  const end = new Date(new Date(s).getTime() + (DATE_ONLY.test(s) ? DAY_MS : 1));
  return end.getUTCFullYear() > 9999 ? null : end;
}

const orderListQuery = listQuery.extend({
  id: z.string().max(64).optional(),
  created_from: isoDate.optional(),
  created_to: isoDate.optional(),
  product: z.string().max(32).optional(),
  type: z.enum(ORDER_TYPES).optional(),
  status: z.enum(FULFILMENT_STATUSES).optional(),
  payment_status: z.enum(PAYMENT_STATUSES).optional(),
});

export function orderRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/orders',
    { schema: { tags: ['orders'], summary: 'Place an order', body: orderBody } },
    async (req, res) => {
      const input = {
        product: req.body.product,
        gb: req.body.gb,
        ...(req.body.plan ? { plan: req.body.plan as never } : {}),
      };
      const result = await placeOrder(deps, {
        accountId: req.accountId,
        input,
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/orders/quote',
    { schema: { tags: ['orders'], summary: 'Price an order without placing it', body: orderBody } },
    async (req, res) => {
      const input = {
        product: req.body.product,
        gb: req.body.gb,
        ...(req.body.plan ? { plan: req.body.plan as never } : {}),
      };
      return reply(res, await quoteOrder(deps, { accountId: req.accountId, input }), (q) => ({
        ...presentOrder(q.order),
        object: 'order_quote',
        payment: {
          from_balance_usd: usd(q.payment.fromBalance),
          from_card_usd: usd(q.payment.fromCard),
          arrears_covered_usd: usd(q.payment.arrearsCovered),
        },
        checks: q.checks,
      }));
    },
  );
  r.get(
    '/v1/orders/:id',
    { schema: { tags: ['orders'], summary: 'Retrieve an order', params: idParam } },
    async (req, res) =>
      reply(res, await findOrder(deps, req.accountId, req.params.id), (o) => presentOrder(o.order, o.events)),
  );
  r.get(
    '/v1/orders',
    { schema: { tags: ['orders'], summary: 'List orders, newest first', querystring: orderListQuery } },
    async (req, res) => {
      const q = req.query;
      const createdTo = q.created_to ? endOfCreatedTo(q.created_to) : null;
      const result = await searchOrders(deps, {
        accountId: req.accountId,
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
      return reply(res, result, (rows) => page(rows, q.limit, (o) => presentOrder(o)));
    },
  );
}
