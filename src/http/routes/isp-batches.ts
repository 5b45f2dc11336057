/**
 * ISP batches (SPEC §6): list and retrieve (with allowances), download the IP list, rotate the
 * password, rebind to another subuser and switch auto-renew; renew, refresh, release, and replace
 * one IP.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { batchIpList, findBatch, searchBatches } from '../../app/isp/batch-view.ts';
import { refreshBatch } from '../../app/isp/refresh-batch.ts';
import { releaseBatch } from '../../app/isp/release-batch.ts';
import { quoteRenewal, renewBatch } from '../../app/isp/renew-batch.ts';
import { replaceIp } from '../../app/isp/replace-ip.ts';
import { rotateBatchPassword } from '../../app/isp/rotate-batch-password.ts';
import { updateBatch } from '../../app/isp/update-batch.ts';
import { ipReplacementSchema, presentIpReplacement } from '../../contract/ip-replacement.ts';
import {
  batchSchema,
  ipListSchema,
  presentBatch,
  presentReleasedBatch,
  releasedBatchSchema,
} from '../../contract/isp-batch.ts';
import { listOf, page } from '../../contract/list.ts';
import { orderSchema, presentOrder } from '../../contract/order.ts';
import { presentRenewalQuote, renewalQuoteSchema } from '../../contract/order-quote.ts';
import { BATCH_STATUSES } from '../../domain/batch-lifecycle.ts';
import { reply, sendError } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

const batchListQuery = listQuery.extend({
  status: z.enum(BATCH_STATUSES).optional().describe('only batches in this status'),
});

const ipsQuery = z.object({
  format: z
    .enum(['plain', 'csv', 'json'])
    .default('plain')
    .describe('plain: ip:port:username:password a line; csv: with a header; json: an array'),
});

const patchBody = z.strictObject({
  subuser: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('rebind to this subuser of the account: the proxies take its username and password'),
  auto_renew: z.boolean().optional().describe('renew automatically a day before expiry'),
});

const renewBody = z.strictObject({
  months: z.union([z.literal(1), z.literal(12)]).describe('renew for 1 or 12 months'),
  dry_run: z.boolean().optional().describe('price the renewal without placing it'),
});

const replaceBody = z.strictObject({
  reason: z.string().trim().min(1).max(500).describe('why the IP is replaced (kept for audit)'),
  accept_charge: z
    .boolean()
    .default(false)
    .describe('beyond the free quota, pay the replacement fee (a change order) instead of a 409'),
  dry_run: z.boolean().default(false).describe('answer what would happen without doing it'),
});

const ipIdParam = z.object({ ip_id: z.string().min(1).max(64) });

/** What paying for a renewal or a replacement fee can refuse, as any order. */
const PAYING_ERRORS = ['account_suspended', 'kyc_required', 'insufficient_balance'] as const;

export function ispBatchRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/isp/batches',
    {
      schema: {
        operationId: 'listIspBatches',
        tags: ['isp'],
        summary: 'List ISP batches, newest first',
        querystring: batchListQuery,
        response: { 200: listOf(batchSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchBatches(deps, req.accountId, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
        ...(q.status ? { status: q.status } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentBatch));
    },
  );
  r.get(
    '/v1/isp/batches/:id',
    {
      schema: {
        operationId: 'getIspBatch',
        tags: ['isp'],
        summary: 'Retrieve an ISP batch with its allowances',
        params: idParam,
        response: { 200: batchSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findBatch(deps, req.accountId, req.params.id), presentBatch),
  );
  r.get(
    '/v1/isp/batches/:id/ips',
    {
      schema: {
        operationId: 'getIspBatchIps',
        tags: ['isp'],
        summary: 'Download the IP list of a ready batch (plain, csv or json)',
        params: idParam,
        querystring: ipsQuery,
        response: {
          200: {
            description: 'The IP list in the format asked for; the X-Ip-Count header counts its IPs',
            content: {
              'text/plain': { schema: z.string().describe('ip:port:username:password, one IP a line') },
              'text/csv': {
                schema: z.string().describe('header ip,port,username,password,country,city,asn'),
              },
              'application/json': { schema: ipListSchema },
            },
          },
        },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const result = await batchIpList(deps, req.accountId, req.params.id, req.query.format);
      if (!result.ok) return sendError(res, result.error);
      return res
        .code(200)
        .type(result.value.contentType)
        .header('X-Ip-Count', String(result.value.count))
        .serializer((p: unknown) => p as string)
        .send(result.value.body);
    },
  );
  r.post(
    '/v1/isp/batches/:id/rotate-password',
    {
      schema: {
        operationId: 'rotateIspBatchPassword',
        tags: ['isp'],
        summary: 'Give the batch a fresh random password (lists downloaded before are stale)',
        params: idParam,
        body: z.strictObject({}).nullish(),
        response: { 200: batchSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await rotateBatchPassword(deps, { accountId: req.accountId, id: req.params.id }),
        presentBatch,
      ),
  );
  r.patch(
    '/v1/isp/batches/:id',
    {
      schema: {
        operationId: 'updateIspBatch',
        tags: ['isp'],
        summary: 'Rebind the batch to another subuser, or switch auto-renew',
        params: idParam,
        body: patchBody,
        response: { 200: batchSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const b = req.body;
      const result = await updateBatch(deps, {
        accountId: req.accountId,
        id: req.params.id,
        ...(b.subuser !== undefined ? { subuserId: b.subuser } : {}),
        ...(b.auto_renew !== undefined ? { autoRenew: b.auto_renew } : {}),
      });
      return reply(res, result, presentBatch);
    },
  );
  r.post(
    '/v1/isp/batches/:id/renew',
    {
      schema: {
        operationId: 'renewIspBatch',
        tags: ['isp'],
        summary:
          'Renew a batch (a renew order, paid like any order); an expired one within grace keeps its IPs',
        params: idParam,
        body: renewBody,
        response: {
          200: z
            .union([orderSchema, renewalQuoteSchema])
            .describe('the renew order; with dry_run, its quote'),
        },
        errors: ['not_found', 'invalid_state', ...PAYING_ERRORS],
      },
    },
    async (req, res) => {
      const cmd = {
        accountId: req.accountId,
        batchId: req.params.id,
        months: req.body.months,
        ...(req.idem ? { idem: req.idem } : {}),
      };
      if (req.body.dry_run) return reply(res, await quoteRenewal(deps, cmd), presentRenewalQuote);
      return reply(res, await renewBatch(deps, cmd), (o) => presentOrder(o));
    },
  );
  r.post(
    '/v1/isp/batches/:id/refresh',
    {
      schema: {
        operationId: 'refreshIspBatch',
        tags: ['isp'],
        summary: 'Swap every IP of a ready batch for fresh ones (once per billing period)',
        params: idParam,
        body: z.strictObject({}).nullish(),
        response: { 200: batchSchema },
        errors: ['not_found', 'invalid_state', 'refresh_limit_reached', 'insufficient_inventory'],
      },
    },
    async (req, res) =>
      reply(res, await refreshBatch(deps, { accountId: req.accountId, id: req.params.id }), presentBatch),
  );
  r.delete(
    '/v1/isp/batches/:id',
    {
      schema: {
        operationId: 'releaseIspBatch',
        tags: ['isp'],
        summary: 'Release a batch: its IPs go back to stock, an unsubscribe order (no refund) records it',
        params: idParam,
        response: { 200: releasedBatchSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await releaseBatch(deps, { accountId: req.accountId, id: req.params.id }),
        presentReleasedBatch,
      ),
  );
  r.post(
    '/v1/isp/ips/:ip_id/replace',
    {
      schema: {
        operationId: 'replaceIspIp',
        tags: ['isp'],
        summary: 'Replace one IP of a ready batch with a fresh one from the same place',
        params: ipIdParam,
        body: replaceBody,
        response: { 200: ipReplacementSchema },
        errors: [
          'not_found',
          'invalid_state',
          'replacement_quota_exceeded',
          'insufficient_inventory',
          ...PAYING_ERRORS,
        ],
      },
    },
    async (req, res) =>
      reply(
        res,
        await replaceIp(deps, {
          accountId: req.accountId,
          ipId: req.params.ip_id,
          reason: req.body.reason,
          acceptCharge: req.body.accept_charge,
          dryRun: req.body.dry_run,
        }),
        presentIpReplacement,
      ),
  );
}
