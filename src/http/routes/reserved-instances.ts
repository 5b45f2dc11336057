/**
 * Reserved-instance coupons (SPEC §7): list them, adjust them (split, merge, change spec) with
 * the seed's value apportionment, and unsubscribe one (its remaining value refunded to its sources). Buying one is POST /v1/orders with the body variant below
 * (routes/orders.ts takes it into its union).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { adjustCoupons } from '../../app/coupons/adjust-coupons.ts';
import { listCoupons } from '../../app/coupons/list-coupons.ts';
import {
  COUPON_COUNT_MAX,
  COUPON_COUNT_MIN,
  type CouponOrderInput,
} from '../../app/coupons/price-coupon-order.ts';
import { unsubscribeCoupon } from '../../app/coupons/unsubscribe-coupon.ts';
import type { Deps } from '../../app/deps.ts';
import { listOf, page } from '../../contract/list.ts';
import { orderSchema, presentOrder } from '../../contract/order.ts';
import {
  presentAdjustment,
  presentReservedInstance,
  reservedInstanceAdjustmentSchema,
  reservedInstanceSchema,
} from '../../contract/reserved-instance.ts';
import { SERVER_SPECS } from '../../domain/server-specs.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';
import { actionOf, dryRunOnlyBody } from './servers.ts';

const specField = z.enum(SERVER_SPECS).describe('server spec: s1.small, s1.medium, s1.large or s1.xlarge');

/** POST /v1/orders body for a coupon purchase (a variant of that route's union). */
export const reservedInstanceOrderBody = z.strictObject({
  product: z.literal('reserved_instance').describe('a reserved-instance coupon (ri_…)'),
  spec: specField,
  count: z.number().meta({
    type: 'integer',
    minimum: COUPON_COUNT_MIN,
    maximum: COUPON_COUNT_MAX,
    description: 'instances it covers, an integer from 1 to 1,000',
  }),
  years: z
    .union([z.literal(1), z.literal(3)])
    .describe('1 year (10 × the monthly price per instance) or 3 years (24 ×)'),
  pay: z.literal('now').optional().describe('coupons are paid now (pay later is not offered)'),
  vouchers: z
    .array(z.string().min(1).max(64))
    .max(10)
    .optional()
    .describe('vouchers (vch_…) to spend first, in this order'),
});

/** The use-case's input from a validated coupon order body. */
export function reservedInstanceOrderInput(
  body: z.infer<typeof reservedInstanceOrderBody>,
): CouponOrderInput {
  return { product: 'reserved_instance', spec: body.spec, count: body.count, years: body.years };
}

const adjustBody = z.strictObject({
  sources: z
    .array(z.string().min(1).max(64))
    .min(1)
    .max(100)
    .describe('your active coupons (ri_…) to replace, each once'),
  targets: z
    .array(
      z.strictObject({
        spec: specField,
        count: z.number().int().min(1).max(100_000).describe('instances'),
      }),
    )
    .min(1)
    .max(100)
    .describe('the coupons to make; their total compute power must equal the sources’'),
  dry_run: z.boolean().optional().describe('true: show the apportioned values; change nothing'),
});

export function reservedInstanceRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/reserved-instances',
    {
      schema: {
        operationId: 'listReservedInstances',
        tags: ['reserved instances'],
        summary: 'List your reserved-instance coupons, newest first',
        querystring: listQuery,
        response: { 200: listOf(reservedInstanceSchema) },
        errors: ['invalid_request'],
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await listCoupons(deps, req.accountId, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (v) => page(v.rows, q.limit, (c) => presentReservedInstance(c, v.now)));
    },
  );
  r.post(
    '/v1/reserved-instances/adjust',
    {
      schema: {
        operationId: 'adjustReservedInstances',
        tags: ['reserved instances'],
        summary:
          'Split, merge or change the spec of coupons (an ri_adjust order): the sources’ remaining values, summed, apportioned to the targets by compute power',
        body: adjustBody,
        response: { 200: reservedInstanceAdjustmentSchema },
        errors: ['not_found', 'invalid_state', 'compute_power_mismatch'],
      },
    },
    async (req, res) => {
      const result = await adjustCoupons(deps, {
        ...actionOf(req),
        sources: req.body.sources,
        targets: req.body.targets,
      });
      return reply(res, result, presentAdjustment);
    },
  );
  r.post(
    '/v1/reserved-instances/:id/unsubscribe',
    {
      schema: {
        operationId: 'unsubscribeReservedInstance',
        tags: ['reserved instances'],
        summary:
          'Stop a coupon now and refund its remaining value (value × unused / term, to the second) to where the money came from: an unsubscribe order with the old and the new configuration as two line items',
        params: idParam,
        body: dryRunOnlyBody,
        response: { 200: orderSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const result = await unsubscribeCoupon(deps, {
        ...actionOf(req),
        couponId: req.params.id,
      });
      return reply(res, result, (o) => presentOrder(o));
    },
  );
}
