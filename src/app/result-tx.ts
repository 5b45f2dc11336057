/**
 * The transaction of a use-case that can fail: it commits when `fn` returns ok, and rolls back
 * when `fn` returns an error or throws a DomainFailure (e.g. changeOrderState refusing a move deep
 * in a helper), which it returns as the error. Any other throw rolls back and propagates (a bug).
 * Every use-case whose transaction returns a Result goes through it, so an error never commits
 * half of what the use-case wrote.
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
