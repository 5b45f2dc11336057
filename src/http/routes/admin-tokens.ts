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
import { adminTokenSchema, presentAdminToken } from '../../contract/admin-token.ts';
import { listOf, whole } from '../../contract/list.ts';
import { reply } from '../errors.ts';
import { displayText, idParam } from '../schemas.ts';

export function adminTokenRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/admin-tokens',
    {
      schema: {
        operationId: 'createAdminToken',
        tags: ['admin'],
        summary: 'Create an operator token (shown once)',
        body: z.strictObject({ name: displayText(200).optional() }).optional(),
        response: { 200: adminTokenSchema },
      },
    },
    async (req, res) => reply(res, await createAdminToken(deps, req.body?.name ?? null), presentAdminToken),
  );
  r.get(
    '/admin/v1/admin-tokens',
    {
      schema: {
        operationId: 'listAdminTokens',
        tags: ['admin'],
        summary: 'List the operator tokens (never the tokens themselves)',
        response: { 200: listOf(adminTokenSchema) },
      },
    },
    async (_req, res) =>
      reply(res, await searchAdminTokens(deps), (tokens) => whole(tokens, (t) => presentAdminToken(t))),
  );
  r.delete(
    '/admin/v1/admin-tokens/:id',
    {
      schema: {
        operationId: 'revokeAdminToken',
        tags: ['admin'],
        summary: 'Revoke an operator token: every request with it is 401 from now on',
        params: idParam,
        response: { 200: adminTokenSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => reply(res, await revokeManagedAdminToken(deps, req.params.id), presentAdminToken),
  );
}
