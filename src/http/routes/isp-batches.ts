/**
 * ISP batches (SPEC §6): list and retrieve (with allowances), download the IP list, rotate the
 * password, rebind to another subuser and switch auto-renew.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import {
  type BatchView,
  batchCredentials,
  batchIpList,
  findBatch,
  searchBatches,
} from '../../app/isp-batches.ts';
import { rotateBatchPassword } from '../../app/rotate-batch-password.ts';
import { updateBatch } from '../../app/update-batch.ts';
import { BATCH_STATUSES, graceUntil } from '../../domain/batch-lifecycle.ts';
import { reply, sendError } from '../errors.ts';
import { page } from '../present.ts';
import { idParam, listQuery } from '../schemas.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function presentBatch(b: BatchView) {
  const creds = batchCredentials(b);
  return {
    id: b.id,
    object: 'isp_batch',
    status: b.status,
    order_id: b.orderId,
    subuser: b.subuserId,
    username: creds.username,
    password: creds.password,
    password_source: b.ownPassword === null ? 'subuser' : 'batch',
    country: b.country,
    city: b.city,
    asn: b.asn,
    quantity: b.quantity,
    months: b.months,
    auto_renew: b.autoRenew,
    substitution: b.substitution,
    period_started_at: iso(b.periodStartedAt),
    expires_at: iso(b.expiresAt),
    // set when the batch expires; until then, when it would end if not renewed
    grace_until: iso(b.graceUntil ?? (b.expiresAt ? graceUntil(b.expiresAt) : null)),
    ready_at: iso(b.readyAt),
    released_at: iso(b.releasedAt),
    allowances: b.allowances
      ? {
          replacements_used: b.allowances.replacements_used,
          replacements_left: b.allowances.replacements_left,
          replacements_quota: b.allowances.replacements_quota,
          unlimited_until: iso(b.allowances.unlimited_until),
          refresh_used: b.allowances.refresh_used,
          resets_at: iso(b.allowances.resets_at),
        }
      : null,
    created_at: iso(b.createdAt),
    updated_at: iso(b.updatedAt),
  };
}

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

export function ispBatchRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/isp/batches',
    {
      schema: { tags: ['isp'], summary: 'List ISP batches, newest first', querystring: batchListQuery },
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
        tags: ['isp'],
        summary: 'Retrieve an ISP batch with its allowances',
        params: idParam,
      },
    },
    async (req, res) => reply(res, await findBatch(deps, req.accountId, req.params.id), presentBatch),
  );
  r.get(
    '/v1/isp/batches/:id/ips',
    {
      schema: {
        tags: ['isp'],
        summary: 'Download the IP list of a ready batch (plain, csv or json)',
        params: idParam,
        querystring: ipsQuery,
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
        tags: ['isp'],
        summary: 'Give the batch a fresh random password (lists downloaded before are stale)',
        params: idParam,
        body: z.strictObject({}).nullish(),
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
        tags: ['isp'],
        summary: 'Rebind the batch to another subuser, or switch auto-renew',
        params: idParam,
        body: patchBody,
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
}
