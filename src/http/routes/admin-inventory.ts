/**
 * Operators stock ISP IPs (SPEC §6, §11): import from CSV (text/csv) or JSON, and see the stock by
 * country, city and ASN. The CSV parser and the 20 MiB body limit live in this plugin's scope only.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { adminInventory } from '../../app/inventory/admin-inventory.ts';
import {
  type ImportRowInput,
  importInventory,
  MAX_IMPORT_ROWS,
  rowsFromCsv,
} from '../../app/inventory/import-inventory.ts';
import {
  adminInventorySchema,
  inventoryImportSchema,
  presentAdminInventory,
  presentImport,
} from '../../contract/admin-inventory.ts';
import { reply, sendError } from '../errors.ts';
import { inventoryFilter, inventoryQuery } from './isp-inventory.ts';

const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;

const cellValue = z
  .union([z.string().max(200), z.number()])
  .nullable()
  .optional();

const jsonImport = z.strictObject({
  ips: z
    .array(
      z.strictObject({
        ip: cellValue,
        port: cellValue,
        country: cellValue,
        city: cellValue,
        asn: cellValue,
        lat: cellValue,
        lon: cellValue,
      }),
    )
    .max(MAX_IMPORT_ROWS),
});

const importBody = z
  .union([
    z
      .string()
      .describe('text/csv: a header line ip,port,country,city,asn (optionally lat,lon), then one IP a line'),
    jsonImport,
  ])
  .describe('text/csv, or application/json {ips: [{ip, port, country, city, asn, lat?, lon?}]}');

export function adminInventoryRoutes(app: FastifyInstance, deps: Deps) {
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'text/csv',
      { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT },
      (_req, body, done) => done(null, body),
    );
    const r = scope.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/admin/v1/inventory/import',
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        schema: {
          operationId: 'importInventory',
          tags: ['admin', 'isp'],
          consumes: ['text/csv', 'application/json'],
          summary:
            'Import ISP IPs; each bad row is skipped with its reason, an IP already in stock is skipped (re-imports change nothing)',
          body: importBody,
          response: { 200: inventoryImportSchema },
        },
      },
      async (req, res) => {
        let rows: ImportRowInput[];
        let ignoredColumns: string[] = [];
        if (typeof req.body === 'string') {
          const parsed = rowsFromCsv(req.body);
          if (!parsed.ok) return sendError(res, parsed.error);
          rows = parsed.value.rows;
          ignoredColumns = parsed.value.ignoredColumns;
        } else {
          rows = req.body.ips.map((x, i) => ({ line: i + 1, ...x }));
        }
        return reply(res, await importInventory(deps, rows, { ignoredColumns }), presentImport);
      },
    );
    r.get(
      '/admin/v1/inventory',
      {
        schema: {
          operationId: 'adminGetInventory',
          tags: ['admin', 'isp'],
          summary: 'ISP stock by country, city and ASN: available, held, allocated (and retired)',
          querystring: inventoryQuery,
          response: { 200: adminInventorySchema },
        },
      },
      async (req, res) =>
        reply(res, await adminInventory(deps, inventoryFilter(req.query)), presentAdminInventory),
    );
  });
}
