/** The customer's vouchers (SPEC §5): read-only here; operators issue them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findVoucher, searchVouchers } from '../../app/accounts/find-account.ts';
import type { Deps } from '../../app/deps.ts';
import { listOf, page } from '../../contract/list.ts';
import { presentVoucher, voucherSchema } from '../../contract/voucher.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

export const voucherListQuery = listQuery.extend({
  status: z
    .enum(['active', 'expired', 'used_up'])
    .optional()
    .describe('only vouchers in this state, computed at the time of the request'),
});

export function voucherRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/vouchers',
    {
      schema: {
        operationId: 'listVouchers',
        tags: ['billing'],
        summary: 'List your vouchers, newest first (products null: any product)',
        querystring: voucherListQuery,
        response: { 200: listOf(voucherSchema) },
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
    {
      schema: {
        operationId: 'getVoucher',
        tags: ['billing'],
        summary: 'Retrieve a voucher',
        params: idParam,
        response: { 200: voucherSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findVoucher(deps, req.accountId, req.params.id), presentVoucher),
  );
}
