/** A customer API key (SPEC §1): shown whole once, at creation; afterwards by its prefix only. */
import { z } from 'zod';
import type { ApiKeyRecord } from '../db/accounts.ts';
import { iso, isoOrNull, timestamp } from './fields.ts';

export const apiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal('api_key'),
    account: z.string(),
    name: z.string().nullable(),
    key_prefix: z.string(),
    created_at: timestamp,
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const createdApiKeySchema = z
  .object({
    id: z.string(),
    object: z.literal('api_key'),
    name: z.string().nullable(),
    key: z.string().describe('the key itself: shown this once, stored only as a hash'),
    created_at: timestamp,
  })
  .meta({ id: 'CreatedApiKey' });

export function presentApiKey(k: ApiKeyRecord): z.infer<typeof apiKeySchema> {
  return {
    id: k.id,
    object: 'api_key',
    account: k.accountId,
    name: k.name,
    key_prefix: k.keyPrefix,
    created_at: iso(k.createdAt),
    revoked_at: isoOrNull(k.revokedAt),
  };
}

export function presentCreatedApiKey(k: {
  id: string;
  key: string;
  name: string | null;
  createdAt: Date;
}): z.infer<typeof createdApiKeySchema> {
  return { id: k.id, object: 'api_key', name: k.name, key: k.key, created_at: iso(k.createdAt) };
}
