/** The price book as operators see and edit it (SPEC §11 `GET|PATCH /admin/v1/price-book`). */
import { z } from 'zod';
import type { PriceBookRow } from '../db/price-book.ts';
import { iso, timestamp, unitPrice } from './fields.ts';
import { price } from './json.ts';

/** A price book row under its public key (domain/price-keys.ts). */
export interface PriceBookEntry extends PriceBookRow {
  key: string;
}

/** What an edit did: the new version and each price it changed or added. */
export interface PriceBookEdited {
  version: number;
  changed: { key: string; beforePrice4: number | null; unitPrice4: number }[];
  reason: string | null;
}

export const priceBookEntrySchema = z
  .object({
    object: z.literal('price'),
    key: z.string().describe('e.g. residential.payg, isp.country.us, isp.asn.7922, server.s1.small.hourly'),
    product: z.enum(['residential', 'mobile', 'isp', 'server', 'reserved_instance']),
    unit: z.string().describe('gb, ip_month, ip, month, hour, …'),
    unit_price_usd: unitPrice,
    min_quantity: z.number().int().describe('the least quantity an order at this price may have'),
    changed_in_version: z
      .number()
      .int()
      .nullable()
      .describe('the price book version whose edit set this price; null: the default, never edited'),
    updated_at: timestamp,
  })
  .meta({ id: 'PriceBookEntry' });

export function presentPriceBookEntry(e: PriceBookEntry): z.infer<typeof priceBookEntrySchema> {
  return {
    object: 'price',
    key: e.key,
    product: e.product as z.infer<typeof priceBookEntrySchema>['product'],
    unit: e.unit,
    unit_price_usd: price(e.unitPrice4),
    min_quantity: e.minQuantity,
    changed_in_version: e.changedInVersion,
    updated_at: iso(e.updatedAt),
  };
}

export const priceBookVersionSchema = z
  .object({
    object: z.literal('price_book_version'),
    version: z
      .number()
      .int()
      .describe('the price book version after the edit (unchanged when nothing changed)'),
    changed: z.array(
      z.object({
        key: z.string(),
        before_usd: unitPrice.nullable().describe('null: a key added by this edit'),
        unit_price_usd: unitPrice,
      }),
    ),
    reason: z.string().nullable(),
  })
  .meta({ id: 'PriceBookVersion' });

export function presentPriceBookVersion(v: PriceBookEdited): z.infer<typeof priceBookVersionSchema> {
  return {
    object: 'price_book_version',
    version: v.version,
    changed: v.changed.map((c) => ({
      key: c.key,
      before_usd: c.beforePrice4 === null ? null : price(c.beforePrice4),
      unit_price_usd: price(c.unitPrice4),
    })),
    reason: v.reason,
  };
}
