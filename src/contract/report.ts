/** The dashboard's reports (SPEC §10): traffic used per day, spend per month. */
import { z } from 'zod';
import type { SpendMonth, UsageDay } from '../db/reports.ts';
import { bytesToGb } from '../domain/traffic.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const usageReportSchema = z
  .object({
    object: z.literal('usage_report'),
    from: timestamp,
    to: timestamp.describe('exclusive'),
    data: z.array(
      z.object({
        day: z.iso.date().describe('UTC day'),
        product: z.string(),
        subuser: z.string().describe('sub_… id'),
        used_gb: z.number().describe('up to 3 decimals'),
      }),
    ),
  })
  .meta({ id: 'UsageReport' });

export function presentUsageReport(r: {
  from: Date;
  to: Date;
  days: readonly UsageDay[];
}): z.infer<typeof usageReportSchema> {
  return {
    object: 'usage_report',
    from: iso(r.from),
    to: iso(r.to),
    data: r.days.map((d) => ({
      day: d.day,
      product: d.product,
      subuser: d.subuserId,
      used_gb: bytesToGb(d.bytes),
    })),
  };
}

export const spendReportSchema = z
  .object({
    object: z.literal('spend_report'),
    from: timestamp,
    to: timestamp.describe('exclusive'),
    data: z.array(
      z.object({
        month: z
          .string()
          .regex(/^\d{4}-\d{2}$/)
          .describe('UTC month the orders were placed'),
        product: z.string(),
        spend_usd: money.describe('cash paid (card and balance) less cash refunded'),
      }),
    ),
  })
  .meta({ id: 'SpendReport' });

export function presentSpendReport(r: {
  from: Date;
  to: Date;
  months: readonly SpendMonth[];
}): z.infer<typeof spendReportSchema> {
  return {
    object: 'spend_report',
    from: iso(r.from),
    to: iso(r.to),
    data: r.months.map((m) => ({ month: m.month, product: m.product, spend_usd: usd(m.cents) })),
  };
}
