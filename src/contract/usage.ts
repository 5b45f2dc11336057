/** The proxy gateways' side (SPEC §2): a usage batch ingested, and the authorize answer. */
import { z } from 'zod';
import type { AuthorizeDecision } from '../domain/traffic.ts';

export const usageBatchSchema = z
  .object({
    object: z.literal('usage_batch'),
    accepted: z.number().int(),
    duplicates: z.number().int().describe('lines whose id was already ingested: counted once'),
    duplicate_ids: z.array(z.string()),
    rejected: z.array(z.object({ id: z.string(), reason: z.literal('unknown_subuser') })),
  })
  .meta({ id: 'UsageBatch' });

export const gatewayAuthorizationSchema = z
  .object({
    object: z.literal('gateway_authorization'),
    allowed: z.boolean(),
    reason: z
      .enum(['unknown_subuser', 'subuser_disabled', 'account_suspended', 'pool_empty', 'cap_reached'])
      .optional()
      .describe('why not, when not allowed'),
    subuser_id: z.string().nullable(),
    account_id: z.string().nullable(),
    remaining_bytes: z.number().int().describe('left in the account’s pool'),
    cap_remaining_bytes: z.number().int().nullable().describe('left under the subuser’s cap; null: no cap'),
  })
  .meta({ id: 'GatewayAuthorization' });

export function presentUsageBatch(x: {
  accepted: number;
  duplicates: number;
  duplicateIds: string[];
  rejected: { id: string; reason: 'unknown_subuser' }[];
}): z.infer<typeof usageBatchSchema> {
  return {
    object: 'usage_batch',
    accepted: x.accepted,
    duplicates: x.duplicates,
    duplicate_ids: x.duplicateIds,
    rejected: x.rejected.map((r) => ({ id: r.id, reason: r.reason })),
  };
}

export function presentGatewayAuthorization(
  a: AuthorizeDecision & { subuserId: string | null; accountId: string | null },
): z.infer<typeof gatewayAuthorizationSchema> {
  return {
    object: 'gateway_authorization',
    allowed: a.allowed,
    ...(a.reason ? { reason: a.reason } : {}),
    subuser_id: a.subuserId,
    account_id: a.accountId,
    remaining_bytes: a.remainingBytes,
    cap_remaining_bytes: a.capRemainingBytes,
  };
}
