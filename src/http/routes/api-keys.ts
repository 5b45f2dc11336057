/**
 * The customer's own API keys (SPEC §1; the console's API keys page): create (the key shown this
 * once, stored only as a hash), list by prefix (revoked ones too), revoke. The same use-cases as
 * the operators' /admin/v1/accounts/{id}/api-keys, scoped to the caller's account: another
 * account's key id is 404.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKey, listAccountApiKeys, revokeAccountApiKey } from '../../app/access/create-api-key.ts';
import type { Deps } from '../../app/deps.ts';
import {
  apiKeySchema,
  createdApiKeySchema,
  presentApiKey,
  presentCreatedApiKey,
} from '../../contract/api-key.ts';
import { listOf, whole } from '../../contract/list.ts';
import { reply } from '../errors.ts';
import { displayText, idParam } from '../schemas.ts';

const createBody = z
  .strictObject({ name: displayText(200).optional().describe('a label to tell keys apart') })
  .nullish();

export function apiKeyRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/api-keys',
    {
      schema: {
        operationId: 'createOwnApiKey',
        tags: ['account'],
        summary: 'Create an API key for this account; the key is in this answer only',
        body: createBody,
        response: { 200: createdApiKeySchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await createApiKey(deps, req.accountId, req.body?.name?.trim() || null),
        presentCreatedApiKey,
      ),
  );
  r.get(
    '/v1/api-keys',
    {
      schema: {
        operationId: 'listOwnApiKeys',
        tags: ['account'],
        summary: "This account's API keys, newest first, by prefix only (revoked ones too)",
        response: { 200: listOf(apiKeySchema) },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await listAccountApiKeys(deps, req.accountId), (keys) => whole(keys, presentApiKey)),
  );
  r.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        operationId: 'revokeOwnApiKey',
        tags: ['account'],
        summary: 'Revoke one of this account’s API keys: every request with it is 401 from now on',
        params: idParam,
        response: { 200: apiKeySchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) =>
      reply(res, await revokeAccountApiKey(deps, req.accountId, req.params.id), presentApiKey),
  );
}
