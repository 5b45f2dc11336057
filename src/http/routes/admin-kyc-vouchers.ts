/** Operators: KYC decisions and voucher issuing (SPEC §11). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findKyc, searchAccountVouchers } from '../../app/accounts/find-account.ts';
import type { Deps } from '../../app/deps.ts';
import { decideKyc } from '../../app/kyc/decide-kyc.ts';
import { issueVoucher, VOUCHER_PRODUCTS } from '../../app/vouchers/issue-voucher.ts';
import { accountSchema, presentAccount } from '../../contract/account.ts';
import { kycSchema, presentKyc } from '../../contract/kyc.ts';
import { listOf, page } from '../../contract/list.ts';
import { presentVoucher, voucherSchema } from '../../contract/voucher.ts';
import { reply } from '../errors.ts';
import { idParam, isoDateTime, usdCents } from '../schemas.ts';
import { voucherListQuery } from './vouchers.ts';

const decisionBody = z.strictObject({
  decision: z.enum(['approved', 'rejected']),
  reason: z.string().max(500).optional().describe('shown to the customer with the decision'),
});

const voucherBody = z.strictObject({
  amount_usd: usdCents.describe('0.01 to 1000000.00, at most two decimals'),
  expires_at: isoDateTime.describe('ISO 8601 time with a zone (Z or ±hh:mm), in the future'),
  products: z
    .array(z.enum(VOUCHER_PRODUCTS))
    .min(1)
    .max(VOUCHER_PRODUCTS.length)
    .optional()
    .describe('products it may pay for; omit for any product'),
});

export function adminKycVoucherRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/accounts/:id/kyc',
    {
      schema: {
        operationId: 'decideKyc',
        tags: ['admin'],
        summary: 'Approve or reject KYC; returns the account',
        params: idParam,
        body: decisionBody,
        response: { 200: accountSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await decideKyc(deps, {
          accountId: req.params.id,
          decision: req.body.decision,
          reason: req.body.reason ?? null,
          operator: req.adminId,
        }),
        presentAccount,
      ),
  );
  r.get(
    '/admin/v1/accounts/:id/kyc',
    {
      schema: {
        operationId: 'adminGetKyc',
        tags: ['admin'],
        summary: "An account's KYC status and latest submission",
        params: idParam,
        response: { 200: kycSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findKyc(deps, req.params.id), presentKyc),
  );
  r.post(
    '/admin/v1/accounts/:id/vouchers',
    {
      schema: {
        operationId: 'issueVoucher',
        tags: ['admin'],
        summary: 'Issue a voucher to an account',
        params: idParam,
        body: voucherBody,
        response: { 200: voucherSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const amountCents = req.body.amount_usd;
      const result = await issueVoucher(deps, {
        accountId: req.params.id,
        amountCents,
        expiresAt: new Date(req.body.expires_at),
        ...(req.body.products ? { products: req.body.products } : {}),
        operator: req.adminId,
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, presentVoucher);
    },
  );
  r.get(
    '/admin/v1/accounts/:id/vouchers',
    {
      schema: {
        operationId: 'adminListVouchers',
        tags: ['admin'],
        summary: "An account's vouchers, newest first",
        params: idParam,
        querystring: voucherListQuery,
        response: { 200: listOf(voucherSchema) },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchAccountVouchers(deps, req.params.id, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentVoucher));
    },
  );
}
