/**
 * A webhook endpoint (SPEC §1): the account's own (/v1) or the operators' (/admin/v1, every
 * account's events, `account_id` null). The signing secret only in the answer that created it.
 */
import { z } from 'zod';
import type { WebhookEndpoint } from '../db/webhooks.ts';
import { deleted, iso, timestamp } from './fields.ts';

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    object: z.literal('webhook_endpoint'),
    account_id: z.string().nullable().describe('null: an operators’ endpoint'),
    url: z.string(),
    description: z.string().nullable(),
    events: z.array(z.string()).describe('event types it receives; ["*"]: every type'),
    secret: z
      .string()
      .optional()
      .describe('signs each delivery (Orderdesk-Signature); only in the answer that created the endpoint'),
    status: z.enum(['enabled', 'disabled']),
    created_at: timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });

export const deletedWebhookEndpoint = deleted('webhook_endpoint');

export function presentWebhookEndpoint(
  e: WebhookEndpoint,
  opts: { withSecret?: boolean } = {},
): z.infer<typeof webhookEndpointSchema> {
  return {
    id: e.id,
    object: 'webhook_endpoint',
    account_id: e.accountId,
    url: e.url,
    description: e.description,
    events: e.events,
    ...(opts.withSecret ? { secret: e.secret } : {}),
    status: e.status,
    created_at: iso(e.createdAt),
  };
}
