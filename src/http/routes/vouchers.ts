/** The customer's vouchers (SPEC §5): read-only here; operators issue them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findVoucher, searchVouchers } from '../../app/accounts/find-account.ts';
import type { Deps } from '../../app/deps.ts';
import type { VoucherView } from '../../app/vouchers/issue-voucher.ts';
import { usd } from '../../contract/json.ts';
import { page } from '../../contract/present.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

export const voucherListQuery = listQuery.extend({
  status: z
    .enum(['active', 'expired', 'used_up'])
    .optional()
    .describe('only vouchers in this state, computed at the time of the request'),
});

export function presentVoucher(v: VoucherView) {
  return {
    id: v.id,
    object: 'voucher' as const,
    amount_usd: usd(v.amountCents),
    remaining_usd: usd(v.remainingCents),
    products: v.products,
    status: v.status,
    expires_at: v.expiresAt.toISOString(),
    created_at: v.createdAt.toISOString(),
  };
}

export function voucherRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/vouchers',
    {
      schema: {
        tags: ['billing'],
        summary: 'List your vouchers, newest first (products null: any product)',
        querystring: voucherListQuery,
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchVouchers(deps, req.accountId, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentVoucher));
    },
  );
  r.get(
    '/v1/vouchers/:id',
    { schema: { tags: ['billing'], summary: 'Retrieve a voucher', params: idParam } },
    async (req, res) => reply(res, await findVoucher(deps, req.accountId, req.params.id), presentVoucher),
  );
}
