/** The price book as customers see it: bandwidth plans with their unit prices (SPEC §3). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { listPlanPrices } from '../../app/orders/list-plan-prices.ts';
import { listOf, whole } from '../../contract/list.ts';
import { planPriceSchema, presentPlanPrice } from '../../contract/plan-price.ts';

export function priceRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/prices',
    {
      schema: {
        operationId: 'listPlanPrices',
        tags: ['orders'],
        summary: "A bandwidth product's plans and unit prices, cheapest tier last",
        querystring: z.object({ product: z.enum(['residential', 'mobile']) }),
        response: { 200: listOf(planPriceSchema) },
      },
    },
    async (req) => whole(await listPlanPrices(deps, req.query.product), presentPlanPrice),
  );
}
