/** Customer orders: place, quote, pay, cancel, get, list (SPEC §4). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { cancelOrder, previewCancellation } from '../../app/orders/cancel-order.ts';
import { cancelUnpaidOrder } from '../../app/orders/cancel-unpaid-order.ts';
import { findOrder, searchOrders } from '../../app/orders/find-order.ts';
import { payPendingOrder } from '../../app/orders/pay-pending-order.ts';
import { placeOrder, placeOrderRecordingKey } from '../../app/orders/place-order.ts';
import type { OrderInput } from '../../app/orders/price-order.ts';
import { quoteOrder } from '../../app/orders/quote-order.ts';
import { placeServerOrder, quoteServerOrder } from '../../app/servers/place-server-order.ts';
import { stringify } from '../../contract/json.ts';
import { listOf, page } from '../../contract/list.ts';
import { orderSchema, presentOrder } from '../../contract/order.ts';
import { orderQuoteSchema, presentOrderQuote } from '../../contract/order-quote.ts';
import { cancellationPlanSchema, presentCancellationPlan } from '../../contract/refund-plan.ts';
import type { OrderFilter } from '../../db/orders.ts';
import { GB_MAX, GB_MIN, PLAN_CODES } from '../../domain/bandwidth-pricing.ts';
import { ASN_MAX, ISP_QTY_MAX, ISP_QTY_MIN } from '../../domain/isp-pricing.ts';
import { FULFILMENT_STATUSES, ORDER_TYPES, PAYMENT_STATUSES } from '../../domain/order-states.ts';
import { PRODUCTS } from '../../domain/products.ts';
import { reply, sendJson } from '../errors.ts';
import { idParam, isoDateOrDateTime, listQuery } from '../schemas.ts';
import { reservedInstanceOrderBody, reservedInstanceOrderInput } from './reserved-instances.ts';
import { serverOrderBody, serverOrderCommand } from './servers.ts';

const vouchersField = z
  .array(z.string().min(1).max(64))
  .max(10)
  .optional()
  .describe(
    'vouchers (vch_…) to spend first, in this order, each taking min(its remaining, what is still payable); at most 10, each once',
  );

const payField = z
  .enum(['now', 'later'])
  .optional()
  .describe(
    'now (default): paid inside the request; later: the order stays pending_payment (ISP stock held) until POST /v1/orders/{id}/pay, or is cancelled',
  );

const payOrderBody = z
  .strictObject({
    vouchers: vouchersField.describe(
      'vouchers to spend instead of those named when the order was placed (omit to spend those)',
    ),
  })
  .nullish();

/**
 * A quantity the domain bounds with 422 quantity_out_of_range (SPEC §3): the document states the
 * bounds, the schema lets any number through to that check.
 */
const boundedQuantity = (min: number, max: number, description: string) =>
  z.number().meta({ type: 'integer', minimum: min, maximum: max, description });

const bandwidthOrderBody = z.strictObject({
  product: z.enum(['residential', 'mobile']).describe('bandwidth product'),
  gb: boundedQuantity(GB_MIN, GB_MAX, 'GB of traffic, an integer from 1 to 100,000'),
  plan: z
    .enum(PLAN_CODES as [string, ...string[]])
    .optional()
    .describe('plan tier; default: the cheapest the quantity meets'),
  pay: payField,
  vouchers: vouchersField,
});

const ispOrderBody = z.strictObject({
  product: z.literal('isp').describe('ISP static IPs, a batch'),
  country: z
    .string()
    .regex(/^[a-z]{2}$/, 'must be an ISO 3166 alpha-2 code in lower case')
    .describe('ISO 3166 alpha-2, lower case'),
  city: z.string().min(1).max(64).optional().describe('city slug (T1 markets only), e.g. newyork'),
  asn: z.number().int().min(1).max(ASN_MAX).optional().describe('carrier ASN, e.g. 7922'),
  quantity: boundedQuantity(ISP_QTY_MIN, ISP_QTY_MAX, 'IPs, an integer from 5 to 5,000'),
  months: z
    .union([z.literal(1), z.literal(12)])
    .default(1)
    .describe('billing term: 1 month, or 12 months at 10% off'),
  subuser: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('subuser the batch is bound to; default the main subuser'),
  on_shortage: z
    .enum(['fail', 'wait', 'substitute'])
    .default('fail')
    .describe('short stock: fail (422), wait (paid, delivered when stock arrives), or substitute'),
  auto_renew: z.boolean().optional().describe('renew automatically a day before expiry'),
  pay: payField,
  vouchers: vouchersField,
});

const orderBody = z.discriminatedUnion('product', [
  bandwidthOrderBody,
  ispOrderBody,
  serverOrderBody,
  reservedInstanceOrderBody,
]);

/** The use-case's input from a validated body. */
function orderInput(body: Exclude<z.infer<typeof orderBody>, { product: 'server' }>): OrderInput {
  if (body.product === 'reserved_instance') return reservedInstanceOrderInput(body);
  if (body.product === 'isp') {
    return {
      product: 'isp',
      country: body.country,
      ...(body.city !== undefined ? { city: body.city } : {}),
      ...(body.asn !== undefined ? { asn: body.asn } : {}),
      quantity: body.quantity,
      months: body.months,
      ...(body.subuser !== undefined ? { subuser: body.subuser } : {}),
      onShortage: body.on_shortage,
      autoRenew: body.auto_renew ?? false,
    };
  }
  return {
    product: body.product,
    gb: body.gb,
    ...(body.plan ? { plan: body.plan as never } : {}),
  };
}

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 24 * 3600 * 1000;

/**
 * The exclusive upper bound of an inclusive `created_to`: a date includes its whole UTC day, a
 * date-time its own millisecond (timestamps are kept to the millisecond). Null: nothing is later.
 */
function endOfCreatedTo(s: string): Date | null {
  const end = new Date(new Date(s).getTime() + (DATE_ONLY.test(s) ? DAY_MS : 1));
  return end.getUTCFullYear() > 9999 ? null : end;
}

export const orderListQuery = listQuery.extend({
  id: z.string().max(64).optional(),
  created_from: isoDateOrDateTime.optional(),
  created_to: isoDateOrDateTime.optional(),
  product: z.enum(PRODUCTS).optional(),
  type: z.enum(ORDER_TYPES).optional(),
  status: z.enum(FULFILMENT_STATUSES).optional(),
  payment_status: z.enum(PAYMENT_STATUSES).optional(),
});

/** The list query's filters as the use-case takes them (the customer's list and the operators'). */
export function orderFilter(q: z.infer<typeof orderListQuery>): Omit<OrderFilter, 'accountId' | 'limit'> {
  const createdTo = q.created_to ? endOfCreatedTo(q.created_to) : null;
  return {
    ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
    ...(q.id ? { id: q.id } : {}),
    ...(q.created_from ? { createdFrom: new Date(q.created_from) } : {}),
    ...(createdTo ? { createdTo } : {}),
    ...(q.product ? { product: q.product } : {}),
    ...(q.type ? { type: q.type } : {}),
    ...(q.status ? { status: q.status } : {}),
    ...(q.payment_status ? { paymentStatus: q.payment_status } : {}),
  };
}

/** What placing an order can refuse it with (SPEC §1–§6), beyond what every POST can. */
const ORDER_ERRORS = [
  'not_found',
  'account_suspended',
  'kyc_required',
  'insufficient_balance',
  'invalid_state',
  'quantity_out_of_range',
  'city_not_selectable',
  'insufficient_inventory',
  'voucher_invalid',
  'arrears_outstanding',
  'balance_below_threshold',
] as const;

export function orderRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/orders',
    {
      schema: {
        operationId: 'createOrder',
        tags: ['orders'],
        summary: 'Place an order',
        body: orderBody,
        response: { 200: orderSchema },
        errors: ORDER_ERRORS,
      },
      // an order paid from the balance claims its key in the statement that pays (see below)
      config: { deferIdempotencyKey: true },
    },
    async (req, res) => {
      const body = req.body;
      const pending = req.deferredKey;
      if (body.product === 'server') {
        if (pending && !(await pending.claim())) return res;
        const cmd = serverOrderCommand(req.accountId, body);
        const placed = await placeServerOrder(deps, { ...cmd, ...(req.idem ? { idem: req.idem } : {}) });
        return reply(res, placed, (o) => presentOrder(o));
      }
      const cmd = {
        accountId: req.accountId,
        principal: req.principal,
        input: orderInput(body),
        pay: body.pay ?? 'now',
        vouchers: body.vouchers ?? [],
      };
      if (pending) {
        // paid from the balance: the key claimed, the order written and the answer stored in the
        // one statement that pays; any other path claims the key first, as every other route does
        let answer = '';
        const recorded = await placeOrderRecordingKey(deps, cmd, {
          ...pending,
          answer: (o) => {
            answer = stringify(presentOrder(o));
            return answer;
          },
        });
        if (recorded) return sendJson(res, answer);
        if (!(await pending.claim())) return res;
      }
      const result = await placeOrder(deps, { ...cmd, ...(req.idem ? { idem: req.idem } : {}) });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/orders/quote',
    {
      schema: {
        operationId: 'quoteOrder',
        tags: ['orders'],
        summary:
          'Price an order without placing it: the envelope, the payment split and the checks that would fail',
        body: orderBody,
        response: { 200: orderQuoteSchema },
        errors: ['not_found', 'quantity_out_of_range', 'city_not_selectable', 'voucher_invalid'],
      },
    },
    async (req, res) => {
      if (req.body.product === 'server') {
        const { accountId, input } = serverOrderCommand(req.accountId, req.body);
        return reply(res, await quoteServerOrder(deps, { accountId, input }), presentOrderQuote);
      }
      const input = orderInput(req.body);
      const vouchers = req.body.vouchers ?? [];
      const pay = req.body.pay ?? 'now';
      return reply(
        res,
        await quoteOrder(deps, { accountId: req.accountId, input, vouchers, pay }),
        presentOrderQuote,
      );
    },
  );
  r.post(
    '/v1/orders/:id/pay',
    {
      schema: {
        operationId: 'payOrder',
        tags: ['orders'],
        summary: 'Pay an order placed with pay later: vouchers, then the balance, then the default card',
        params: idParam,
        body: payOrderBody,
        response: { 200: orderSchema },
        errors: [
          'not_found',
          'invalid_state',
          'account_suspended',
          'kyc_required',
          'insufficient_balance',
          'voucher_invalid',
        ],
      },
    },
    async (req, res) => {
      const result = await payPendingOrder(deps, {
        accountId: req.accountId,
        orderId: req.params.id,
        ...(req.body?.vouchers ? { vouchers: req.body.vouchers } : {}),
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/orders/:id/cancel',
    {
      schema: {
        operationId: 'cancelOrder',
        tags: ['orders'],
        summary:
          'Cancel an order: an unpaid (pending_payment) order, releasing its held stock; or an ISP order still waiting for stock, with a full refund',
        params: idParam,
        body: z
          .strictObject({
            dry_run: z
              .boolean()
              .optional()
              .describe('true: show what cancelling would refund (the plan with its terms); change nothing'),
          })
          .nullish(),
        response: {
          200: z.union([orderSchema, cancellationPlanSchema]).describe('the order; with dry_run, the plan'),
        },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const cmd = { accountId: req.accountId, orderId: req.params.id };
      if (req.body?.dry_run === true) {
        return reply(res, await previewCancellation(deps, cmd), presentCancellationPlan);
      }
      // dispatch on the order's state; each use-case checks it again under the order's lock
      const current = await findOrder(deps, req.accountId, req.params.id);
      const result =
        current.ok && current.value.order.paymentStatus === 'pending_payment'
          ? await cancelUnpaidOrder(deps, { ...cmd, cause: 'cancelled by the customer before paying' })
          : await cancelOrder(deps, cmd);
      return reply(res, result, (o) => presentOrder(o));
    },
  );
  r.get(
    '/v1/orders/:id',
    {
      schema: {
        operationId: 'getOrder',
        tags: ['orders'],
        summary: 'Retrieve an order, with its events',
        params: idParam,
        response: { 200: orderSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await findOrder(deps, req.accountId, req.params.id), (o) => presentOrder(o.order, o.events)),
  );
  r.get(
    '/v1/orders',
    {
      schema: {
        operationId: 'listOrders',
        tags: ['orders'],
        summary: 'List orders, newest first',
        querystring: orderListQuery,
        response: { 200: listOf(orderSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchOrders(deps, {
        accountId: req.accountId,
        limit: q.limit,
        ...orderFilter(q),
      });
      return reply(res, result, (rows) => page(rows, q.limit, (o) => presentOrder(o)));
    },
  );
}
