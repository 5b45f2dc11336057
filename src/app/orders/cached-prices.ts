/**
 * Prices cached per process, checked where they are used. The price book changes rarely and is
 * read by every order; a cached copy saves that round trip. Each copy carries the price book's
 * version (migration 015: a trigger bumps it on every write of price_book), and the statement that
 * charges the order checks, in the same statement, that the version is still current
 * (db/ledger.ts payOrderFromBalance `priceVersion`). A stale copy therefore never prices an order:
 * the statement writes nothing, the caller drops the copy and prices again from the database.
 */
import type { Db } from '../../db/client.ts';
import { listPricesVersioned } from '../../db/price-book.ts';
import type { PlanPrice } from '../../domain/bandwidth-pricing.ts';
import { toPlanPrices } from './price-order.ts';

export interface VersionedPrices {
  version: number;
  plans: PlanPrice[];
}

const caches = new WeakMap<Db, Map<string, VersionedPrices>>();

function cacheOf(db: Db): Map<string, VersionedPrices> {
  let c = caches.get(db);
  if (!c) {
    c = new Map();
    caches.set(db, c);
  }
  return c;
}

/** A bandwidth product's plan prices and their version: the cached copy, or read (and cached) now. */
export async function cachedPrices(db: Db, product: string): Promise<VersionedPrices> {
  const cache = cacheOf(db);
  const hit = cache.get(product);
  if (hit) return hit;
  const read = await listPricesVersioned(db, product);
  const prices = { version: read.version, plans: toPlanPrices(read.rows) };
  cache.set(product, prices);
  return prices;
}

/** Drops the cached copy of a product's prices (the version check failed, or prices were edited). */
export function dropCachedPrices(db: Db, product?: string): void {
  if (product === undefined) caches.delete(db);
  else cacheOf(db).delete(product);
}
