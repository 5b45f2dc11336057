/** A managed operator token (SPEC §1): the token itself only in the answer that created it. */
import { z } from 'zod';
import type { AdminTokenRecord } from '../db/accounts.ts';
import { iso, isoOrNull, timestamp } from './fields.ts';

export const adminTokenSchema = z
  .object({
    id: z.string(),
    object: z.literal('admin_token'),
    name: z.string().nullable(),
    token: z.string().optional().describe('only in the answer that created it: shown once, stored as a hash'),
    created_at: timestamp,
    revoked_at: timestamp.nullable(),
  })
  .meta({ id: 'AdminToken' });

export function presentAdminToken(
  t: AdminTokenRecord & { token?: string },
): z.infer<typeof adminTokenSchema> {
  return {
    id: t.id,
    object: 'admin_token',
    name: t.name,
    ...(t.token ? { token: t.token } : {}),
    created_at: iso(t.createdAt),
    revoked_at: isoOrNull(t.revokedAt),
  };
}
