/** Stock alerts (SPEC §6, Settings → Alerts): watch a place, get a mail when stock reaches a minimum. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import {
  ALERT_MINIMUM_MAX,
  createStockAlert,
  findStockAlert,
  removeStockAlert,
  searchStockAlerts,
} from '../../app/inventory/create-stock-alert.ts';
import { listOf, page } from '../../contract/list.ts';
import { deletedStockAlert, presentAlert, stockAlertSchema } from '../../contract/stock-alert.ts';
import { ASN_MAX } from '../../domain/isp-pricing.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

const alertBody = z.strictObject({
  country: z.string().min(1).max(16).describe('ISO 3166 alpha-2 country code, like us'),
  city: z
    .string()
    .min(1)
    .max(64)
    .nullable()
    .optional()
    .describe('city slug, like newyork; omit for any city'),
  asn: z.number().int().min(1).max(ASN_MAX).nullable().optional().describe('carrier ASN; omit for any ASN'),
  minimum: z
    .number()
    .int()
    .min(1)
    .max(ALERT_MINIMUM_MAX)
    .describe('fire when at least this many IPs are available'),
});

export function alertRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/alerts',
    {
      schema: {
        operationId: 'createStockAlert',
        tags: ['alerts'],
        summary:
          'Watch ISP stock of a country (city, ASN optional): one mail when it reaches the minimum, re-armed when it drops below',
        body: alertBody,
        response: { 200: stockAlertSchema },
      },
    },
    async (req, res) => {
      const b = req.body;
      const result = await createStockAlert(deps, {
        accountId: req.accountId,
        country: b.country,
        city: b.city ?? null,
        asn: b.asn ?? null,
        minimum: b.minimum,
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, presentAlert);
    },
  );
  r.get(
    '/v1/alerts',
    {
      schema: {
        operationId: 'listStockAlerts',
        tags: ['alerts'],
        summary: 'List stock alerts, newest first',
        querystring: listQuery,
        response: { 200: listOf(stockAlertSchema) },
      },
    },
    async (req, res) => {
      const q = req.query;
      const result = await searchStockAlerts(deps, req.accountId, {
        limit: q.limit,
        ...(q.starting_after ? { startingAfter: q.starting_after } : {}),
      });
      return reply(res, result, (rows) => page(rows, q.limit, presentAlert));
    },
  );
  r.get(
    '/v1/alerts/:id',
    {
      schema: {
        operationId: 'getStockAlert',
        tags: ['alerts'],
        summary: 'Retrieve a stock alert',
        params: idParam,
        response: { 200: stockAlertSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => reply(res, await findStockAlert(deps, req.accountId, req.params.id), presentAlert),
  );
  r.delete(
    '/v1/alerts/:id',
    {
      schema: {
        operationId: 'deleteStockAlert',
        tags: ['alerts'],
        summary: 'Delete a stock alert',
        params: idParam,
        response: { 200: deletedStockAlert.schema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await removeStockAlert(deps, req.accountId, req.params.id), deletedStockAlert.present),
  );
}
