/** An ISP batch (SPEC §6) with its allowances, as the batch routes and the `isp_batch.*` events show it. */
import { z } from 'zod';
import type { Batch } from '../db/isp-batch-queries.ts';
import { batchCredentials } from '../domain/batch-credentials.ts';
import { BATCH_STATUSES, graceUntil } from '../domain/batch-lifecycle.ts';
import type { Allowances } from '../domain/replacement-quota.ts';
import { iso, isoOrNull, timestamp } from './fields.ts';

/** A batch with its allowances for the current billing period (null until its first period starts). */
export type BatchView = Batch & { allowances: Allowances | null };

/** What on_shortage "substitute" delivered instead of what was asked (SPEC §6). */
export const substitutionSchema = z
  .object({
    requested: z.object({ city: z.string().nullable(), asn: z.number().int().nullable() }),
    delivered: z.object({ city: z.string(), asn: z.number().int() }),
    reason: z.string(),
    distance_km: z.number().nullable(),
  })
  .meta({ id: 'Substitution' });

type Substitution = z.infer<typeof substitutionSchema>;

export const allowancesSchema = z
  .object({
    replacements_used: z.number().int().describe('counted replacements this period'),
    replacements_left: z
      .number()
      .int()
      .nullable()
      .describe('free replacements left this period; null while unlimited (the first 14 days)'),
    replacements_quota: z.number().int().describe('the period’s free quota: 10% of the batch, rounded up'),
    unlimited_until: timestamp.nullable().describe('end of the unlimited window while it lasts'),
    refresh_used: z.boolean(),
    resets_at: timestamp.describe('when the quota and the refresh reset: the end of the billing period'),
  })
  .meta({ id: 'BatchAllowances' });

const batchFields = {
  id: z.string(),
  object: z.literal('isp_batch'),
  status: z.enum(BATCH_STATUSES),
  order_id: z.string(),
  subuser: z.string().describe('the bound subuser (sub_…): its username is the proxies’ username'),
  username: z.string(),
  password_source: z
    .enum(['subuser', 'batch'])
    .describe('subuser: the bound subuser’s proxy password; batch: the batch’s own, after rotate-password'),
  country: z.string(),
  city: z.string().nullable(),
  asn: z.number().int().nullable(),
  quantity: z.number().int(),
  months: z.number().int(),
  auto_renew: z.boolean(),
  substitution: substitutionSchema.nullable(),
  period_started_at: timestamp.nullable(),
  expires_at: timestamp.nullable(),
  grace_until: timestamp
    .nullable()
    .describe('set when the batch expires; until then, when it would end if not renewed'),
  ready_at: timestamp.nullable(),
  released_at: timestamp.nullable(),
  allowances: allowancesSchema.nullable(),
  created_at: timestamp,
  updated_at: timestamp,
};

/**
 * An `isp_batch.*` event's object: the batch without its proxy password. Events go to any URL an
 * endpoint names and stay in the outbox for 3 days, so they carry no credential; the owner reads
 * the password with GET /v1/isp/batches/{id}.
 */
export const batchEventSchema = z.object(batchFields).meta({ id: 'IspBatchEvent' });

export const batchSchema = z
  .object({ ...batchFields, password: z.string().describe('the proxies’ password (see password_source)') })
  .meta({ id: 'IspBatch' });

export const releasedBatchSchema = batchSchema.extend({
  unsubscribe_order_id: z.string().describe('the zero-amount unsubscribe order that records the release'),
});

/** A line of the IP list in the json download format (domain/ip-list.ts writes it). */
export const ipListSchema = z.array(
  z.object({
    id: z.string().optional(),
    ip: z.string(),
    port: z.number().int(),
    username: z.string(),
    password: z.string(),
    country: z.string(),
    city: z.string(),
    asn: z.number().int(),
  }),
);

export function presentAllowances(a: Allowances): z.infer<typeof allowancesSchema> {
  return {
    replacements_used: a.replacements_used,
    replacements_left: a.replacements_left,
    replacements_quota: a.replacements_quota,
    unlimited_until: isoOrNull(a.unlimited_until),
    refresh_used: a.refresh_used,
    resets_at: iso(a.resets_at),
  };
}

export function presentBatchEvent(b: BatchView): z.infer<typeof batchEventSchema> {
  return {
    id: b.id,
    object: 'isp_batch',
    status: b.status,
    order_id: b.orderId,
    subuser: b.subuserId,
    username: b.username,
    password_source: b.ownPassword === null ? 'subuser' : 'batch',
    country: b.country,
    city: b.city,
    asn: b.asn,
    quantity: b.quantity,
    months: b.months,
    auto_renew: b.autoRenew,
    // the column holds what the substitution recorded (db/isp-batches.ts SubstitutionRecord)
    substitution: b.substitution as Substitution | null,
    period_started_at: isoOrNull(b.periodStartedAt),
    expires_at: isoOrNull(b.expiresAt),
    grace_until: isoOrNull(b.graceUntil ?? (b.expiresAt ? graceUntil(b.expiresAt) : null)),
    ready_at: isoOrNull(b.readyAt),
    released_at: isoOrNull(b.releasedAt),
    allowances: b.allowances ? presentAllowances(b.allowances) : null,
    created_at: iso(b.createdAt),
    updated_at: iso(b.updatedAt),
  };
}

export function presentBatch(b: BatchView): z.infer<typeof batchSchema> {
  return { ...presentBatchEvent(b), password: batchCredentials(b).password };
}

export function presentReleasedBatch(r: {
  batch: BatchView;
  orderId: string;
}): z.infer<typeof releasedBatchSchema> {
  return { ...presentBatch(r.batch), unsubscribe_order_id: r.orderId };
}
