/** The operator API (SPEC §11): fixed routes operators script against. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKey, listAccountApiKeys, revokeAccountApiKey } from '../../app/access/create-api-key.ts';
import { createAccount } from '../../app/accounts/create-account.ts';
import { findAccount, searchAccounts } from '../../app/accounts/find-account.ts';
import { adjustBalance } from '../../app/billing/adjust-balance.ts';
import type { Deps } from '../../app/deps.ts';
import { page, presentAccount, presentLedgerEntry } from '../../contract/present.ts';
import type { ApiKeyRecord } from '../../db/accounts.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery, usdCents } from '../schemas.ts';

const createAccountBody = z.strictObject({
  email: z.string().min(3).max(320),
  name: z.string().min(1).max(200),
  password: z.string().min(1).max(200).optional(),
});

const accountListQuery = listQuery.extend({
  email: z.string().min(1).max(320).optional().describe('exact email, case-insensitive'),
  kyc_status: z.enum(['not_submitted', 'pending', 'approved', 'rejected']).optional(),
});

export function adminRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/accounts',
    { schema: { tags: ['admin'], summary: 'Create an account', body: createAccountBody } },
    async (req, res) => reply(res, await createAccount(deps, req.body), (a) => presentAccount(a)),
  );
  r.get(
    '/admin/v1/accounts',
    {
      schema: {
        tags: ['admin'],
        summary: 'List accounts, newest first; filter by email or KYC status',
        querystring: accountListQuery,
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchAccounts(deps, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
        ...(q.email ? { email: q.email } : {}),
        ...(q.kyc_status ? { kycStatus: q.kyc_status } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, (a) => presentAccount(a)));
    },
  );
  r.get(
    '/admin/v1/accounts/:id',
    { schema: { tags: ['admin'], summary: 'Look up an account', params: idParam } },
    async (req, res) => reply(res, await findAccount(deps, req.params.id), (a) => presentAccount(a)),
  );
  r.post(
    '/admin/v1/accounts/:id/api-keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an API key (shown once)',
        params: idParam,
        body: z.strictObject({ name: z.string().max(200).optional() }).optional(),
      },
    },
    async (req, res) =>
      reply(res, await createApiKey(deps, req.params.id, req.body?.name ?? null), (k) => ({
        id: k.id,
        object: 'api_key',
        name: k.name,
        key: k.key,
        created_at: k.createdAt.toISOString(),
      })),
  );
  r.get(
    '/admin/v1/accounts/:id/api-keys',
    {
      schema: {
        tags: ['admin'],
        summary: "List an account's API keys (prefix only; revoked ones too)",
        params: idParam,
      },
    },
    async (req, res) =>
      reply(res, await listAccountApiKeys(deps, req.params.id), (keys) => ({
        object: 'list',
        data: keys.map(presentApiKey),
        has_more: false,
      })),
  );
  r.delete(
    '/admin/v1/accounts/:id/api-keys/:key_id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key: every request with it is 401 from now on',
        params: z.object({ id: z.string().min(1).max(64), key_id: z.string().min(1).max(64) }),
      },
    },
    async (req, res) =>
      reply(res, await revokeAccountApiKey(deps, req.params.id, req.params.key_id), presentApiKey),
  );
  r.post(
    '/admin/v1/accounts/:id/balance-adjustments',
    {
      schema: {
        tags: ['admin'],
        summary: 'Adjust a balance (negative to debit, at most the balance), recorded as a ledger entry',
        params: idParam,
        body: z.strictObject({ amount_usd: usdCents, reason: z.string().min(1).max(500) }),
      },
    },
    async (req, res) => {
      const amountCents = req.body.amount_usd;
      const result = await adjustBalance(deps, {
        accountId: req.params.id,
        amountCents,
        reason: req.body.reason,
        operator: req.adminId,
      });
      return reply(res, result, presentLedgerEntry);
    },
  );
}

/** An API key as operators see it: the prefix, never the key. */
export function presentApiKey(k: ApiKeyRecord) {
  return {
    id: k.id,
    object: 'api_key',
    account: k.accountId,
    name: k.name,
    key_prefix: k.keyPrefix,
    created_at: k.createdAt.toISOString(),
    revoked_at: k.revokedAt?.toISOString() ?? null,
  };
}
