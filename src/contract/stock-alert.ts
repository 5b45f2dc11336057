/** A stock alert (SPEC §6, Settings → Alerts), as /v1/alerts and the `inventory.available` event show it. */
import { z } from 'zod';
import type { StockAlert } from '../db/stock-alerts.ts';
import { deleted, iso, isoOrNull, timestamp } from './fields.ts';

/** An alert with the stock of its place now. */
export type StockAlertView = StockAlert & { available: number };

export const stockAlertSchema = z
  .object({
    id: z.string(),
    object: z.literal('stock_alert'),
    country: z.string(),
    city: z.string().nullable().describe('null: any city'),
    asn: z.number().int().nullable().describe('null: any ASN'),
    minimum: z.number().int(),
    armed: z
      .boolean()
      .describe('true: fires when stock reaches the minimum; false: fired, waits for stock to drop below'),
    available: z.number().int().describe('IPs available at the place now'),
    last_fired_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'StockAlert' });

export const deletedStockAlert = deleted('stock_alert');

export function presentAlert(a: StockAlertView): z.infer<typeof stockAlertSchema> {
  return {
    id: a.id,
    object: 'stock_alert',
    country: a.country,
    city: a.city,
    asn: a.asn,
    minimum: a.minimum,
    armed: a.armed,
    available: a.available,
    last_fired_at: isoOrNull(a.lastFiredAt),
    created_at: iso(a.createdAt),
  };
}
