/**
 * Webhook endpoints and their deliveries (SPEC §1). Customers manage their own under /v1; operators
 * manage theirs (which receive every account's events) under /admin/v1, with the same shapes and
 * `account_id: null`. The secret is in the creation's answer only.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import {
  ALL_EVENTS,
  createWebhookEndpoint,
  findWebhookEndpoint,
  MAX_URL_LENGTH,
  removeWebhookEndpoint,
  replayWebhookDelivery,
  searchWebhookDeliveries,
  searchWebhookEndpoints,
} from '../../app/webhooks/create-webhook-endpoint.ts';
import { EVENT_TYPES } from '../../app/webhooks/emit-event.ts';
import { listOf, page } from '../../contract/list.ts';
import { presentWebhookDelivery, webhookDeliverySchema } from '../../contract/webhook-delivery.ts';
import {
  deletedWebhookEndpoint,
  presentWebhookEndpoint,
  webhookEndpointSchema,
} from '../../contract/webhook-endpoint.ts';
import type { Owner } from '../../db/webhooks.ts';
import { reply } from '../errors.ts';
import { displayText, idParam, listQuery } from '../schemas.ts';

const endpointBody = z.strictObject({
  url: z.string().min(1).max(MAX_URL_LENGTH).describe('where events are POSTed: an http or https URL'),
  events: z
    .array(z.enum([ALL_EVENTS, ...EVENT_TYPES]))
    .min(1)
    .max(32)
    .optional()
    .describe('event types to receive; omitted or ["*"]: every type'),
  description: displayText(500).nullable().optional(),
});

function register(
  app: FastifyInstance,
  deps: Deps,
  base: '/v1' | '/admin/v1',
  ownerOf: (req: FastifyRequest) => Owner,
) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = [base === '/v1' ? 'webhooks' : 'admin'];
  const whose = base === '/v1' ? "the account's" : "the operators' (every account's events)";
  // the two APIs' operations are told apart by prefix: createWebhookEndpoint, adminCreateWebhookEndpoint
  const id = (name: string) => (base === '/v1' ? name : `admin${name[0]!.toUpperCase()}${name.slice(1)}`);
  r.post(
    `${base}/webhook-endpoints`,
    {
      schema: {
        operationId: id('createWebhookEndpoint'),
        tags,
        summary: `Register a webhook endpoint: ${whose}; the signing secret is shown this once`,
        body: endpointBody,
        response: { 200: webhookEndpointSchema },
      },
    },
    async (req, res) => {
      const b = req.body;
      const result = await createWebhookEndpoint(deps, {
        owner: ownerOf(req),
        url: b.url,
        ...(b.events ? { events: b.events } : {}),
        description: b.description ?? null,
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, (e) => presentWebhookEndpoint(e, { withSecret: true }));
    },
  );
  r.get(
    `${base}/webhook-endpoints`,
    {
      schema: {
        operationId: id('listWebhookEndpoints'),
        tags,
        summary: 'List webhook endpoints, newest first',
        querystring: listQuery,
        response: { 200: listOf(webhookEndpointSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchWebhookEndpoints(deps, ownerOf(req), {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, (e) => presentWebhookEndpoint(e)));
    },
  );
  r.get(
    `${base}/webhook-endpoints/:id`,
    {
      schema: {
        operationId: id('getWebhookEndpoint'),
        tags,
        summary: 'Retrieve a webhook endpoint (without its secret)',
        params: idParam,
        response: { 200: webhookEndpointSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await findWebhookEndpoint(deps, ownerOf(req), req.params.id), (e) =>
        presentWebhookEndpoint(e),
      ),
  );
  r.delete(
    `${base}/webhook-endpoints/:id`,
    {
      schema: {
        operationId: id('deleteWebhookEndpoint'),
        tags,
        summary: 'Delete a webhook endpoint; its pending deliveries are dropped',
        params: idParam,
        response: { 200: deletedWebhookEndpoint.schema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await removeWebhookEndpoint(deps, ownerOf(req), req.params.id),
        deletedWebhookEndpoint.present,
      ),
  );
  r.get(
    `${base}/webhook-endpoints/:id/deliveries`,
    {
      schema: {
        operationId: id('listWebhookDeliveries'),
        tags,
        summary: "An endpoint's deliveries, newest first: status, attempts, last answer, next attempt",
        params: idParam,
        querystring: listQuery,
        response: { 200: listOf(webhookDeliverySchema) },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchWebhookDeliveries(deps, ownerOf(req), req.params.id, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentWebhookDelivery));
    },
  );
  r.post(
    `${base}/webhook-deliveries/:id/replay`,
    {
      schema: {
        operationId: id('replayWebhookDelivery'),
        tags,
        summary: 'Send the delivery’s event again to its endpoint (a new delivery, same event id)',
        params: idParam,
        response: { 200: webhookDeliverySchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await replayWebhookDelivery(deps, ownerOf(req), req.params.id), presentWebhookDelivery),
  );
}

/** The customer's endpoints (/v1). */
export function webhookEndpointRoutes(app: FastifyInstance, deps: Deps) {
  register(app, deps, '/v1', (req) => req.accountId);
}

/** The operators' endpoints (/admin/v1): they receive every account's events. */
export function adminWebhookEndpointRoutes(app: FastifyInstance, deps: Deps) {
  register(app, deps, '/admin/v1', () => null);
}
