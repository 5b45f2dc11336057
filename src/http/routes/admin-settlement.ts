/**
 * Settlement of postpaid servers, for operators (SPEC §7, §11): run it now (what the periodic job
 * does, billing every hour ended by now, each once) and list the runs.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { listSettlementRuns } from '../../app/settlement/list-settlement-runs.ts';
import { MAX_TRAFFIC_REPORTS, recordServerTraffic } from '../../app/settlement/record-server-traffic.ts';
import { settleServerHours } from '../../app/settlement/settle-server-hours.ts';
import { listOf, page } from '../../contract/list.ts';
import { presentServerTrafficBatch, serverTrafficBatchSchema } from '../../contract/server-traffic.ts';
import { presentSettlementRun, settlementRunSchema } from '../../contract/settlement-run.ts';
import { LINE_BYTES_MAX } from '../../domain/traffic.ts';
import { reply } from '../errors.ts';
import { idParam, isoDateTime } from '../schemas.ts';

const runListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
});

const trafficBody = z.strictObject({
  reports: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(128).describe("the gateway's id of the report; a repeated id counts once"),
        bytes: z.number().int().min(0).max(LINE_BYTES_MAX),
        at: isoDateTime.describe('when the traffic was used (its UTC day is the day it is charged for)'),
      }),
    )
    .min(1)
    .max(MAX_TRAFFIC_REPORTS),
});

export function adminSettlementRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/servers/:id/traffic',
    {
      schema: {
        operationId: 'recordServerTraffic',
        tags: ['admin', 'usage'],
        summary: "Record a postpaid server's metered traffic (idempotent per report id); charged daily",
        params: idParam,
        body: trafficBody,
        response: { 200: serverTrafficBatchSchema },
        errors: ['not_found', 'invalid_state'],
      },
    },
    async (req, res) => {
      const reports = req.body.reports.map((x) => ({ id: x.id, bytes: x.bytes, at: new Date(x.at) }));
      const result = await recordServerTraffic(deps, { serverId: req.params.id, reports });
      return reply(res, result, (x) => presentServerTrafficBatch(req.params.id, x));
    },
  );
  r.post(
    '/admin/v1/settlement/runs',
    {
      schema: {
        operationId: 'runSettlement',
        tags: ['admin', 'billing'],
        summary: "Settle postpaid servers now: every hour ended by now, each once; the run's summary",
        response: { 200: settlementRunSchema },
      },
    },
    async (_req, res) => reply(res, await settleServerHours(deps), presentSettlementRun),
  );
  r.get(
    '/admin/v1/settlement/runs',
    {
      schema: {
        operationId: 'listSettlementRuns',
        tags: ['admin', 'billing'],
        summary: 'The settlement runs, newest first',
        querystring: runListQuery,
        response: { 200: listOf(settlementRunSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await listSettlementRuns(deps, {
        limit: q.limit,
        ...(q.starting_after !== undefined ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentSettlementRun));
    },
  );
}
