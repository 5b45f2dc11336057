/**
 * Operators stock ISP IPs (SPEC §6, §11): import from CSV (text/csv) or JSON, and see the stock by
 * country, city and ASN. The CSV parser and the 20 MiB body limit live in this plugin's scope only.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { type AdminInventory, adminInventory } from '../../app/inventory/admin-inventory.ts';
import {
  type ImportRowInput,
  type ImportSummary,
  importInventory,
  MAX_IMPORT_ROWS,
  rowsFromCsv,
} from '../../app/inventory/import-inventory.ts';
import type { StockCount } from '../../db/isp-inventory.ts';
import { reply, sendError } from '../errors.ts';
import { inventoryFilter, inventoryQuery } from './isp-inventory.ts';

export const IMPORT_BODY_LIMIT = 20 * 1024 * 1024;
/** Skipped rows listed in a response; the counts by reason always cover all of them. */
export const SKIPPED_SHOWN = 10_000;

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

export function presentImport(s: ImportSummary) {
  return {
    object: 'inventory_import',
    rows: s.rows,
    imported: s.imported,
    skipped_count: s.skipped.length,
    skipped_by_reason: s.skippedByReason,
    skipped: s.skipped.slice(0, SKIPPED_SHOWN).map((x) => ({
      line: x.line,
      ip: x.ip,
      reason: x.reason,
      message: x.message,
    })),
    skipped_truncated: s.skipped.length > SKIPPED_SHOWN,
    ignored_columns: s.ignoredColumns,
  };
}

const presentPlace = (p: StockCount) => ({
  country: p.country,
  city: p.city,
  asn: p.asn,
  available: p.available,
  held: p.held,
  allocated: p.allocated,
  retired: p.retired,
  total: p.available + p.held + p.allocated + p.retired,
});

export function presentAdminInventory(v: AdminInventory) {
  const t = v.totals;
  return {
    object: 'inventory',
    filter: { country: v.filter.country ?? null, city: v.filter.city ?? null, asn: v.filter.asn ?? null },
    totals: { ...t, total: t.available + t.held + t.allocated + t.retired },
    data: v.places.map(presentPlace),
  };
}

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
          tags: ['admin', 'isp'],
          consumes: ['text/csv', 'application/json'],
          summary:
            'Import ISP IPs; each bad row is skipped with its reason, an IP already in stock is skipped (re-imports change nothing)',
          body: importBody,
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
          tags: ['admin', 'isp'],
          summary: 'ISP stock by country, city and ASN: available, held, allocated (and retired)',
          querystring: inventoryQuery,
        },
      },
      async (req, res) =>
        reply(res, await adminInventory(deps, inventoryFilter(req.query)), presentAdminInventory),
    );
  });
}
