/** A bandwidth plan and its unit price (SPEC §3 price book), as the console's plan cards show it. */
import { z } from 'zod';
import type { PlanPrice } from '../domain/bandwidth-pricing.ts';
import { unitPrice } from './fields.ts';
import { price } from './json.ts';

export const planPriceSchema = z
  .object({
    object: z.literal('plan_price'),
    product: z.enum(['residential', 'mobile']),
    plan: z.enum(['payg', 'starter', 'pro', 'business', 'enterprise']),
    min_gb: z.number().int().describe('the least GB an order of this plan may have'),
    unit_price_usd: unitPrice.describe('per GB'),
  })
  .meta({ id: 'PlanPrice' });

export function presentPlanPrice(p: PlanPrice): z.infer<typeof planPriceSchema> {
  return {
    object: 'plan_price',
    product: p.product as 'residential' | 'mobile',
    plan: p.plan,
    min_gb: p.minQuantity,
    unit_price_usd: price(p.unitPrice),
  };
}
