/** The customer's own account and its cash ledger. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../../app/deps.ts';
import { accountPools } from '../../app/subusers/find-subuser.ts';
import { customerAccountSchema, presentCustomerAccount } from '../../contract/account.ts';
import { ledgerEntrySchema, presentLedgerEntry } from '../../contract/ledger-entry.ts';
import { listOf, page } from '../../contract/list.ts';
import { getAccount } from '../../db/accounts.ts';
import { listCashEntries } from '../../db/ledger.ts';
import { listQuery } from '../schemas.ts';

export function customerRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/account',
    {
      schema: {
        operationId: 'getAccount',
        tags: ['account'],
        summary: 'Your account: balance, arrears, KYC, traffic pools',
        response: { 200: customerAccountSchema },
      },
    },
    async (req) => {
      const account = await getAccount(deps.db, req.accountId);
      return presentCustomerAccount(account!, await accountPools(deps, req.accountId));
    },
  );
  r.get(
    '/v1/billing/transactions',
    {
      schema: {
        operationId: 'listTransactions',
        tags: ['billing'],
        summary: 'Cash balance ledger entries, newest first',
        querystring: listQuery,
        response: { 200: listOf(ledgerEntrySchema) },
      },
    },
    async (req) => {
      const rows = await listCashEntries(deps.db.read, req.accountId, {
        limit: req.query.limit + 1,
        ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
      });
      return page(rows, req.query.limit, presentLedgerEntry);
    },
  );
}
