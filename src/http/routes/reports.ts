/** The dashboard's reports (SPEC §10): traffic used per day and subuser, spend per month and product. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { spendReport } from '../../app/reports/spend-report.ts';
import { usageReport } from '../../app/reports/usage-report.ts';
import {
  presentSpendReport,
  presentUsageReport,
  spendReportSchema,
  usageReportSchema,
} from '../../contract/report.ts';

export function reportRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/reports/usage',
    {
      schema: {
        operationId: 'getUsageReport',
        tags: ['reports'],
        summary: 'Traffic used per UTC day, product and subuser over the last `days` days (default 30)',
        querystring: z.object({ days: z.coerce.number().int().min(1).max(366).default(30) }),
        response: { 200: usageReportSchema },
      },
    },
    async (req) => presentUsageReport(await usageReport(deps, req.accountId, req.query.days)),
  );
  r.get(
    '/v1/reports/spend',
    {
      schema: {
        operationId: 'getSpendReport',
        tags: ['reports'],
        summary: 'Cash spent per UTC month and product over the last `months` months (default 12)',
        querystring: z.object({ months: z.coerce.number().int().min(1).max(36).default(12) }),
        response: { 200: spendReportSchema },
      },
    },
    async (req) => presentSpendReport(await spendReport(deps, req.accountId, req.query.months)),
  );
}
