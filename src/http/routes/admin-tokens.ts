/** Managed operator tokens (SPEC §1): create (shown once), list, revoke. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  createAdminToken,
  revokeManagedAdminToken,
  searchAdminTokens,
} from '../../app/access/create-admin-token.ts';
import type { Deps } from '../../app/deps.ts';
import type { AdminTokenRecord } from '../../db/accounts.ts';
import { reply } from '../errors.ts';
import { idParam } from '../schemas.ts';

/** An admin token as operators see it; `token` only in the answer that created it. */
export function presentAdminToken(t: AdminTokenRecord & { token?: string }) {
  return {
    id: t.id,
    object: 'admin_token',
    name: t.name,
    ...(t.token ? { token: t.token } : {}),
    created_at: t.createdAt.toISOString(),
    revoked_at: t.revokedAt?.toISOString() ?? null,
  };
}

export function adminTokenRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/admin-tokens',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an operator token (shown once)',
        body: z.strictObject({ name: z.string().max(200).optional() }).optional(),
      },
    },
    async (req, res) => reply(res, await createAdminToken(deps, req.body?.name ?? null), presentAdminToken),
  );
  r.get(
    '/admin/v1/admin-tokens',
    { schema: { tags: ['admin'], summary: 'List the operator tokens (never the tokens themselves)' } },
    async (_req, res) =>
      reply(res, await searchAdminTokens(deps), (tokens) => ({
        object: 'list',
        data: tokens.map((t) => presentAdminToken(t)),
        has_more: false,
      })),
  );
  r.delete(
    '/admin/v1/admin-tokens/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke an operator token: every request with it is 401 from now on',
        params: idParam,
      },
    },
    async (req, res) => reply(res, await revokeManagedAdminToken(deps, req.params.id), presentAdminToken),
  );
}
