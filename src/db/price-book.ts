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

/** A price_book row with the version of the edit that last set it (null: never edited). */
export interface PriceBookRow extends PriceRow {
  changedInVersion: number | null;
}

/** The whole price book, each row with the version that last changed it. */
export async function listPriceBook(q: Sql): Promise<{ version: number; rows: PriceBookRow[] }> {
  const rows = await q.query(
    `SELECT p.product, p.code, p.unit, p.min_quantity, p.unit_price4, p.updated_at,
            (SELECT max(c.version) FROM price_book_changes c
             WHERE c.product = p.product AND c.code = p.code) AS changed_in_version,
            (SELECT version FROM price_book_version WHERE id = 1) AS book_version
     FROM price_book p ORDER BY p.product, p.min_quantity, p.code`,
  );
  const version = rows[0]
    ? Number(rows[0].book_version)
    : Number((await q.query('SELECT version FROM price_book_version WHERE id = 1'))[0]?.version);
  return {
    version,
    rows: rows.map((r) => ({
      ...mapPrice(r),
      changedInVersion: r.changed_in_version === null ? null : Number(r.changed_in_version),
    })),
  };
}

/** Locks the price book's version row: edits of the price book run one at a time. */
export async function lockPriceBook(q: Sql): Promise<number> {
  const rows = await q.query('SELECT version FROM price_book_version WHERE id = 1 FOR UPDATE');
  return Number(rows[0]?.version);
}

export interface PriceWrite {
  product: string;
  code: string;
  unit: string;
  minQuantity: number;
  unitPrice4: number;
  /** the price before (null: a new row) */
  beforePrice4: number | null;
}

/**
 * Writes the prices and logs each change with the new version: the locked version + 1 (the
 * trigger of migration 015 bumps the version on every write — twice for an upsert, which fires
 * both INSERT and UPDATE triggers — so the edit then sets it to exactly one past the version it
 * locked: still higher than any version a reader has seen). Call with the version row locked
 * (lockPriceBook). Returns the new version.
 */
export async function writePrices(
  q: Sql,
  lockedVersion: number,
  writes: readonly PriceWrite[],
  reason: string | null,
  at: Date,
): Promise<number> {
  await q.query(
    `INSERT INTO price_book (product, code, unit, min_quantity, unit_price4, updated_at)
     SELECT product, code, unit, min_quantity, unit_price4, $6::timestamptz
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int8[])
       AS w(product, code, unit, min_quantity, unit_price4)
     ON CONFLICT (product, code) DO UPDATE
       SET unit_price4 = EXCLUDED.unit_price4, updated_at = EXCLUDED.updated_at`,
    [
      writes.map((w) => w.product),
      writes.map((w) => w.code),
      writes.map((w) => w.unit),
      writes.map((w) => w.minQuantity),
      writes.map((w) => w.unitPrice4),
      at,
    ],
  );
  const version = lockedVersion + 1;
  await q.query('UPDATE price_book_version SET version = $1::int8 WHERE id = 1', [version]);
  await q.query(
    `INSERT INTO price_book_changes (version, product, code, before_price4, after_price4, reason, changed_at)
     SELECT $1::int8, product, code, before_price4, after_price4, $6::text, $7::timestamptz
     FROM unnest($2::text[], $3::text[], $4::int8[], $5::int8[]) AS c(product, code, before_price4, after_price4)`,
    [
      version,
      writes.map((w) => w.product),
      writes.map((w) => w.code),
      writes.map((w) => w.beforePrice4),
      writes.map((w) => w.unitPrice4),
      reason,
      at,
    ],
  );
  return version;
}
