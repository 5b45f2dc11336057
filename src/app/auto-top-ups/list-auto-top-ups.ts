/** GET /v1/auto-top-ups (SPEC §2): the account's own rules, each with the month's auto spend. */
import { type AutoTopUpView, listAutoTopUps as listRules } from '../../db/auto-top-ups.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { monthStart } from './month-start.ts';

export async function listAutoTopUps(deps: Deps, accountId: string): Promise<Result<AutoTopUpView[]>> {
  const now = await deps.clock.now();
  return ok(await listRules(deps.db, accountId, monthStart(now)));
}
