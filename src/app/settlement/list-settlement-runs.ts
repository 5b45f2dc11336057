/** The settlement runs, newest first (operators): limit + 1 rows, the caller pages. */
import { listRuns, type SettlementRun } from '../../db/settlement.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export async function listSettlementRuns(
  deps: Deps,
  page: { limit: number; startingAfter?: number },
): Promise<Result<SettlementRun[]>> {
  return ok(
    await listRuns(deps.db, {
      limit: page.limit + 1,
      ...(page.startingAfter !== undefined ? { before: page.startingAfter } : {}),
    }),
  );
}
