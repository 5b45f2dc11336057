/** The price book: operators edit it, orders copy the prices they were sold at. */
import type { Sql } from './client.ts';

export interface PriceRow {
  product: string;
  code: string;
  unit: string;
  minQuantity: number;
  unitPrice4: number;
  updatedAt: Date;
}

function mapPrice(r: Record<string, unknown>): PriceRow {
  return {
    product: r.product as string,
    code: r.code as string,
    unit: r.unit as string,
    minQuantity: r.min_quantity as number,
    unitPrice4: r.unit_price4 as number,
    updatedAt: r.updated_at as Date,
  };
}

export async function listPrices(q: Sql, product?: string): Promise<PriceRow[]> {
  const rows = await q.query(
    `SELECT product, code, unit, min_quantity, unit_price4, updated_at FROM price_book
     WHERE ($1::text IS NULL OR product = $1) ORDER BY product, min_quantity, code`,
    [product ?? null],
    { prepare: true },
  );
  return rows.map(mapPrice);
}

/** The product's prices with the price book's version (migration 015), read together. */
export async function listPricesVersioned(
  q: Sql,
  product: string,
): Promise<{ version: number; rows: PriceRow[] }> {
  const rows = await q.query(
    `SELECT v.version, p.product, p.code, p.unit, p.min_quantity, p.unit_price4, p.updated_at
     FROM price_book_version v LEFT JOIN price_book p ON p.product = $1
     WHERE v.id = 1 ORDER BY p.min_quantity, p.code`,
    [product],
    { prepare: true },
  );
  return {
    version: rows[0]?.version as number,
    rows: rows.filter((r) => r.product !== null).map(mapPrice),
  };
}
