/**
 * `PATCH /admin/v1/price-book {prices: {"residential.payg": 4.20, …}, reason?}` (SPEC §11): an
 * operator sets prices by their public keys. The edit is all or nothing: an unknown key, a key
 * that may not be added, or a bad price refuses the whole edit (400, naming them). Prices that
 * change are written in one statement, so the book's version moves by exactly one, and logged
 * with that version (price_book_changes). Later quotes and orders use the new prices; earlier
 * orders keep the prices on their line items. Edits run one at a time (the version row is locked).
 * Setting a price to what it already is changes nothing and makes no new version.
 */
import type { PriceBookEdited } from '../../contract/price-book.ts';
import { listPrices, lockPriceBook, type PriceWrite, writePrices } from '../../db/price-book.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Price4 } from '../../domain/money.ts';
import { addablePriceRow, priceKey, priceRowOf } from '../../domain/price-keys.ts';
import type { Deps } from '../deps.ts';
import { dropCachedPrices } from '../orders/cached-prices.ts';
import { resultTx } from '../result-tx.ts';

/** The most a price may be (per unit): 1,000,000.0000 USD. */
export const PRICE4_MAX = 10_000_000_000;

export interface PriceBookEdit {
  /** public key → new unit price (Price4) */
  prices: Record<string, Price4>;
  reason?: string;
}

export async function editPriceBook(deps: Deps, edit: PriceBookEdit): Promise<Result<PriceBookEdited>> {
  const wanted = Object.entries(edit.prices);
  if (wanted.length === 0)
    return err('invalid_request', 'prices must name at least one key', { param: 'prices' });
  const bad = wanted.filter(([, p]) => !Number.isSafeInteger(p) || p < 0 || p > PRICE4_MAX).map(([k]) => k);
  if (bad.length > 0) {
    return err(
      'invalid_request',
      `Prices must be from 0 to 1000000 USD with at most 4 decimals: ${bad.join(', ')}`,
      {
        param: 'prices',
        detail: { keys: bad },
      },
    );
  }
  const at = await deps.clock.now();
  const reason = edit.reason ?? null;
  const result = await resultTx(deps.db, async (q) => {
    const current = await lockPriceBook(q);
    const existing = new Map((await listPrices(q)).map((r) => [priceKey(r.product, r.code), r]));
    const unknown: string[] = [];
    const writes: (PriceWrite & { key: string })[] = [];
    for (const [key, unitPrice4] of wanted) {
      const have = existing.get(key);
      if (have) {
        if (have.unitPrice4 !== unitPrice4) {
          writes.push({ key, ...have, unitPrice4, beforePrice4: have.unitPrice4 });
        }
        continue;
      }
      const row = priceRowOf(key);
      const fresh = row && priceKey(row.product, row.code) === key ? addablePriceRow(row) : null;
      if (!row || !fresh) {
        unknown.push(key);
        continue;
      }
      writes.push({ key, ...row, ...fresh, unitPrice4, beforePrice4: null });
    }
    if (unknown.length > 0) {
      return err(
        'invalid_request',
        `Unknown price keys: ${unknown.join(', ')} (GET /admin/v1/price-book lists them; new keys may be isp.country.<code> or isp.asn.<number>)`,
        { param: 'prices', detail: { keys: unknown } },
      );
    }
    if (writes.length === 0) return ok({ version: current, changed: [], reason });
    const version = await writePrices(q, current, writes, reason, at);
    return ok({
      version,
      changed: writes.map((w) => ({ key: w.key, beforePrice4: w.beforePrice4, unitPrice4: w.unitPrice4 })),
      reason,
    });
  });
  // this process's cached prices are dropped at once; other processes find their copies stale at
  // the version check of their next order (app/orders/cached-prices.ts)
  if (result.ok && result.value.changed.length > 0) dropCachedPrices(deps.db);
  return result;
}
