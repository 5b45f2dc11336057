/** Operators' view of ISP stock (SPEC §6, §11): counts by place and status, and an import's summary. */
import { z } from 'zod';
import type { StockCount } from '../db/isp-inventory.ts';

const counts = {
  available: z.number().int(),
  held: z.number().int().describe('held for unpaid (pay later) orders'),
  allocated: z.number().int().describe('in live batches'),
  retired: z.number().int(),
  total: z.number().int(),
};

export const adminInventorySchema = z
  .object({
    object: z.literal('inventory'),
    filter: z.object({
      country: z.string().nullable(),
      city: z.string().nullable(),
      asn: z.number().int().nullable(),
    }),
    totals: z.object(counts),
    data: z.array(z.object({ country: z.string(), city: z.string(), asn: z.number().int(), ...counts })),
  })
  .meta({ id: 'AdminInventory' });

/** Skipped rows listed in a response; the counts by reason always cover all of them. */
const SKIPPED_SHOWN = 10_000;

export const inventoryImportSchema = z
  .object({
    object: z.literal('inventory_import'),
    rows: z.number().int().describe('data rows read'),
    imported: z.number().int(),
    skipped_count: z.number().int(),
    skipped_by_reason: z.record(z.string(), z.number().int()),
    skipped: z
      .array(
        z.object({
          line: z.number().int(),
          ip: z.string().nullable(),
          reason: z
            .string()
            .describe(
              'malformed_row, invalid_ip, invalid_port, invalid_country, invalid_city, unknown_city, invalid_asn, invalid_coordinates, duplicate_in_file or already_in_stock',
            ),
          message: z.string(),
        }),
      )
      .describe(`the first ${SKIPPED_SHOWN} skipped rows`),
    skipped_truncated: z.boolean(),
    ignored_columns: z.array(z.string()).describe('CSV columns that were not read'),
  })
  .meta({ id: 'InventoryImport' });

export function presentAdminInventory(v: {
  filter: { country?: string; city?: string; asn?: number };
  totals: { available: number; held: number; allocated: number; retired: number };
  places: StockCount[];
}): z.infer<typeof adminInventorySchema> {
  const t = v.totals;
  return {
    object: 'inventory',
    filter: { country: v.filter.country ?? null, city: v.filter.city ?? null, asn: v.filter.asn ?? null },
    totals: { ...t, total: t.available + t.held + t.allocated + t.retired },
    data: v.places.map((p) => ({
      country: p.country,
      city: p.city,
      asn: p.asn,
      available: p.available,
      held: p.held,
      allocated: p.allocated,
      retired: p.retired,
      total: p.available + p.held + p.allocated + p.retired,
    })),
  };
}

export function presentImport(s: {
  rows: number;
  imported: number;
  skipped: { line: number; ip: string | null; reason: string; message: string }[];
  skippedByReason: Partial<Record<string, number>>;
  ignoredColumns: string[];
}): z.infer<typeof inventoryImportSchema> {
  return {
    object: 'inventory_import',
    rows: s.rows,
    imported: s.imported,
    skipped_count: s.skipped.length,
    skipped_by_reason: s.skippedByReason as Record<string, number>,
    skipped: s.skipped
      .slice(0, SKIPPED_SHOWN)
      .map((x) => ({ line: x.line, ip: x.ip, reason: x.reason, message: x.message })),
    skipped_truncated: s.skipped.length > SKIPPED_SHOWN,
    ignored_columns: s.ignoredColumns,
  };
}
