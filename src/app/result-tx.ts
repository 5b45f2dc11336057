/**
 * A transaction whose outcome is a Result: it commits when `fn` returns ok, and rolls back when
 * `fn` returns an error or throws a DomainFailure (from any layer, e.g. changeOrderState refusing
 * a move), which it returns as the error. Any other throw rolls back and propagates.
 */
import type { Db, Sql } from '../db/client.ts';
import { DomainFailure, type Result } from '../domain/errors.ts';

export async function resultTx<T>(db: Db, fn: (q: Sql) => Promise<Result<T>>): Promise<Result<T>> {
  try {
    return await db.tx(async (q) => {
      const r = await fn(q);
      if (!r.ok) throw new DomainFailure(r.error);
      return r;
    });
  } catch (e) {
    if (e instanceof DomainFailure) return { ok: false, error: e.error };
    throw e;
  }
}
