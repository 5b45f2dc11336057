/** The proxy gateways' side (SPEC §2): usage ingest and the authorize check, operator-authenticated. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { authorizeGateway } from '../../app/usage/authorize-gateway.ts';
import { ingestUsage, MAX_LINES } from '../../app/usage/ingest-usage.ts';
import {
  gatewayAuthorizationSchema,
  presentGatewayAuthorization,
  presentUsageBatch,
  usageBatchSchema,
} from '../../contract/usage.ts';
import { LINE_BYTES_MAX } from '../../domain/traffic.ts';
import { reply } from '../errors.ts';
import { isoDateTime } from '../schemas.ts';

const product = z.enum(['residential', 'mobile']);

const usageBody = z.strictObject({
  lines: z
    .array(
      z.strictObject({
        id: z.string().min(1).max(128).describe("the gateway's id of the line; a repeated id counts once"),
        subuser: z.string().min(1).max(64).describe('subuser id (sub_…) or proxy username'),
        product,
        bytes: z.number().int().min(0).max(LINE_BYTES_MAX),
        at: isoDateTime.describe('when the traffic was used'),
      }),
    )
    .min(1)
    .max(MAX_LINES),
});

const authorizeQuery = z.object({
  username: z.string().min(1).max(64),
  product,
});

export function adminUsageRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/usage',
    {
      schema: {
        operationId: 'ingestUsage',
        tags: ['admin', 'usage'],
        summary: 'Ingest usage lines from a proxy gateway (idempotent per line id)',
        body: usageBody,
        response: { 200: usageBatchSchema },
      },
    },
    async (req, res) => {
      const lines = req.body.lines.map((l) => ({ ...l, at: new Date(l.at) }));
      return reply(res, await ingestUsage(deps, lines), presentUsageBatch);
    },
  );
  r.get(
    '/admin/v1/gateway/authorize',
    {
      schema: {
        operationId: 'authorizeGateway',
        tags: ['admin', 'usage'],
        summary: 'May this proxy username use traffic of this product now?',
        querystring: authorizeQuery,
        response: { 200: gatewayAuthorizationSchema },
      },
    },
    async (req, res) => reply(res, await authorizeGateway(deps, req.query), presentGatewayAuthorization),
  );
}
