/** A delivery of an event to one endpoint (SPEC §1): its attempts, last answer and next try. */
import { z } from 'zod';
import type { WebhookDelivery } from '../db/webhooks.ts';
import { iso, isoOrNull, timestamp } from './fields.ts';

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_delivery'),
    endpoint_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number().int(),
    last_status: z.number().int().nullable().describe('the HTTP status of the last attempt'),
    last_error: z.string().nullable(),
    next_attempt_at: timestamp.nullable(),
    delivered_at: timestamp.nullable(),
    retry_until: timestamp.describe('retried with backoff until then (3 days after the event)'),
    replay_of: z.string().nullable().describe('the delivery this one replays'),
    created_at: timestamp,
  })
  .meta({ id: 'WebhookDelivery' });

export function presentWebhookDelivery(d: WebhookDelivery): z.infer<typeof webhookDeliverySchema> {
  return {
    id: d.id,
    object: 'webhook_delivery',
    endpoint_id: d.endpointId,
    event_id: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    last_status: d.lastStatus,
    last_error: d.lastError,
    next_attempt_at: isoOrNull(d.nextAttemptAt),
    delivered_at: isoOrNull(d.deliveredAt),
    retry_until: iso(d.retryUntil),
    replay_of: d.replayOf,
    created_at: iso(d.createdAt),
  };
}
