/** `GET /admin/v1/price-book` (SPEC §11): every price with its public key, and the book's version. */
import type { PriceBookEntry } from '../../contract/price-book.ts';
import { listPriceBook } from '../../db/price-book.ts';
import { priceKey } from '../../domain/price-keys.ts';
import type { Deps } from '../deps.ts';

export interface PriceBook {
  version: number;
  entries: PriceBookEntry[];
}

export async function listPriceBookEntries(deps: Deps): Promise<PriceBook> {
  const book = await listPriceBook(deps.db);
  return {
    version: book.version,
    entries: book.rows.map((r) => ({ ...r, key: priceKey(r.product, r.code) })),
  };
}
