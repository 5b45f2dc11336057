/** The operator API (SPEC §11): fixed routes operators script against. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createApiKey, listAccountApiKeys, revokeAccountApiKey } from '../../app/access/create-api-key.ts';
import { createAccount } from '../../app/accounts/create-account.ts';
import { findAccount, searchAccounts } from '../../app/accounts/find-account.ts';
import { adjustBalance } from '../../app/billing/adjust-balance.ts';
import type { Deps } from '../../app/deps.ts';
import { accountSchema, presentAccount } from '../../contract/account.ts';
import {
  apiKeySchema,
  createdApiKeySchema,
  presentApiKey,
  presentCreatedApiKey,
} from '../../contract/api-key.ts';
import { ledgerEntrySchema, presentLedgerEntry } from '../../contract/ledger-entry.ts';
import { listOf, page, whole } from '../../contract/list.ts';
import { reply } from '../errors.ts';
import { displayText, idParam, listQuery, usdCents } from '../schemas.ts';

const createAccountBody = z.strictObject({
  email: z.string().min(3).max(320),
  name: displayText(200),
  password: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe('for the console login; omit for API-only accounts'),
});

const accountListQuery = listQuery.extend({
  email: z.string().min(1).max(320).optional().describe('exact email, case-insensitive'),
  kyc_status: z.enum(['not_submitted', 'pending', 'approved', 'rejected']).optional(),
});

export function adminRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/accounts',
    {
      schema: {
        operationId: 'createAccount',
        tags: ['admin'],
        summary: 'Create an account',
        body: createAccountBody,
        response: { 200: accountSchema },
        errors: ['email_taken'],
      },
    },
    async (req, res) => reply(res, await createAccount(deps, req.body), presentAccount),
  );
  r.get(
    '/admin/v1/accounts',
    {
      schema: {
        operationId: 'listAccounts',
        tags: ['admin'],
        summary: 'List accounts, newest first; filter by email or KYC status',
        querystring: accountListQuery,
        response: { 200: listOf(accountSchema) },
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
      return reply(res, result, (rows) => page(rows, q.limit, presentAccount));
    },
  );
  r.get(
    '/admin/v1/accounts/:id',
    {
      schema: {
        operationId: 'adminGetAccount',
        tags: ['admin'],
        summary: 'Look up an account',
        params: idParam,
        response: { 200: accountSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findAccount(deps, req.params.id), presentAccount),
  );
  r.post(
    '/admin/v1/accounts/:id/api-keys',
    {
      schema: {
        operationId: 'createApiKey',
        tags: ['admin'],
        summary: 'Create an API key (shown once)',
        params: idParam,
        body: z.strictObject({ name: displayText(200).optional() }).optional(),
        response: { 200: createdApiKeySchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await createApiKey(deps, req.params.id, req.body?.name ?? null), presentCreatedApiKey),
  );
  r.get(
    '/admin/v1/accounts/:id/api-keys',
    {
      schema: {
        operationId: 'listApiKeys',
        tags: ['admin'],
        summary: "List an account's API keys (prefix only; revoked ones too)",
        params: idParam,
        response: { 200: listOf(apiKeySchema) },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await listAccountApiKeys(deps, req.params.id), (keys) => whole(keys, presentApiKey)),
  );
  r.delete(
    '/admin/v1/accounts/:id/api-keys/:key_id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags: ['admin'],
        summary: 'Revoke an API key: every request with it is 401 from now on',
        params: z.object({ id: z.string().min(1).max(64), key_id: z.string().min(1).max(64) }),
        response: { 200: apiKeySchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) =>
      reply(res, await revokeAccountApiKey(deps, req.params.id, req.params.key_id), presentApiKey),
  );
  r.post(
    '/admin/v1/accounts/:id/balance-adjustments',
    {
      schema: {
        operationId: 'adjustBalance',
        tags: ['admin'],
        summary: 'Adjust a balance (negative to debit, at most the balance), recorded as a ledger entry',
        params: idParam,
        body: z.strictObject({
          amount_usd: usdCents.describe('signed, at most two decimals; negative debits'),
          reason: z.string().min(1).max(500),
        }),
        response: { 200: ledgerEntrySchema },
        errors: ['not_found', 'insufficient_balance'],
      },
    },
    async (req, res) => {
      const result = await adjustBalance(deps, {
        accountId: req.params.id,
        amountCents: req.body.amount_usd,
        reason: req.body.reason,
        operator: req.adminId,
      });
      return reply(res, result, presentLedgerEntry);
    },
  );
}
