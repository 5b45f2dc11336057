/** Auto top-up (SPEC §2): per bandwidth product, "when the pool falls below X GB, buy Y GB", with a monthly cap. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAutoTopUps } from '../../app/auto-top-ups/list-auto-top-ups.ts';
import { BELOW_GB_MAX, BUY_GB_MAX, setAutoTopUp } from '../../app/auto-top-ups/set-auto-top-up.ts';
import type { Deps } from '../../app/deps.ts';
import { autoTopUpSchema, presentAutoTopUp } from '../../contract/auto-top-up.ts';
import { listOf, whole } from '../../contract/list.ts';
import { reply } from '../errors.ts';
import { usdCents } from '../schemas.ts';

const productParam = z.object({
  product: z.enum(['residential', 'mobile']).describe('the bandwidth product the rule is for'),
});

const autoTopUpBody = z.strictObject({
  below_gb: z
    .number()
    .int()
    .min(0)
    .max(BELOW_GB_MAX)
    .describe('top up when a usage draw-down takes the pool from at or above this many GB to below it'),
  buy_gb: z.number().int().min(1).max(BUY_GB_MAX).describe('GB each top-up buys, 1 to 100000'),
  monthly_cap_usd: usdCents
    .refine((c) => c > 0, 'monthly_cap_usd must be more than 0')
    .describe('more than 0, at most two decimals: auto top-up spend allowed per UTC calendar month'),
  enabled: z.boolean().optional().describe('default true; turning a stopped rule on clears disabled_reason'),
});

export function autoTopUpRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.put(
    '/v1/auto-top-ups/:product',
    {
      schema: {
        operationId: 'putAutoTopUp',
        tags: ['billing'],
        summary:
          'Create or replace the auto top-up of a bandwidth product: one order (source auto_top_up) each time usage takes the pool below the line, within the monthly cap',
        params: productParam,
        body: autoTopUpBody,
        response: { 200: autoTopUpSchema },
        errors: [],
      },
    },
    async (req, res) => {
      const b = req.body;
      const result = await setAutoTopUp(deps, {
        accountId: req.accountId,
        product: req.params.product,
        belowGb: b.below_gb,
        buyGb: b.buy_gb,
        monthlyCapCents: b.monthly_cap_usd,
        enabled: b.enabled ?? true,
      });
      return reply(res, result, presentAutoTopUp);
    },
  );
  r.get(
    '/v1/auto-top-ups',
    {
      schema: {
        operationId: 'listAutoTopUps',
        tags: ['billing'],
        summary:
          "The account's auto top-up rules (at most one per bandwidth product), with this month's auto spend",
        response: { 200: listOf(autoTopUpSchema) },
        errors: [],
      },
    },
    async (req, res) =>
      reply(res, await listAutoTopUps(deps, req.accountId), (rows) => whole(rows, presentAutoTopUp)),
  );
}
