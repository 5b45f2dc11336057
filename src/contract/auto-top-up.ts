/** An auto top-up rule (SPEC §2), as PUT /v1/auto-top-ups/{product} and GET /v1/auto-top-ups show it. */
import { z } from 'zod';
import type { AutoTopUpView } from '../db/auto-top-ups.ts';
import { BYTES_PER_GB } from '../domain/traffic.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const AUTO_TOP_UP_DISABLED_REASONS =
  'monthly_cap_reached, or the card decline reason (card_declined, insufficient_funds, no_payment_method, …)';

export const autoTopUpSchema = z
  .object({
    object: z.literal('auto_top_up'),
    product: z.enum(['residential', 'mobile']),
    below_gb: z.number().describe('buy when the pool falls below this many GB'),
    buy_gb: z.number().int().describe('GB each top-up buys (an ordinary order, source auto_top_up)'),
    monthly_cap_usd: money.describe('at most this much auto top-up spend per UTC calendar month'),
    month_spent_usd: money.describe('auto top-up orders of this product in the current UTC month'),
    enabled: z.boolean(),
    disabled_reason: z
      .string()
      .nullable()
      .describe(`why the system turned the rule off: ${AUTO_TOP_UP_DISABLED_REASONS}; null otherwise`),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'AutoTopUp' });

export function presentAutoTopUp(r: AutoTopUpView): z.infer<typeof autoTopUpSchema> {
  return {
    object: 'auto_top_up',
    product: r.product as 'residential' | 'mobile',
    below_gb: r.belowBytes / BYTES_PER_GB,
    buy_gb: r.buyGb,
    monthly_cap_usd: usd(r.monthlyCapCents),
    month_spent_usd: usd(r.monthSpentCents),
    enabled: r.enabled,
    disabled_reason: r.disabledReason,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}
