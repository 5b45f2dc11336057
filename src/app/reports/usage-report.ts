/**
 * GET /v1/reports/usage: the traffic an account's subusers used per day and product (the
 * dashboard's chart, SPEC §10), over the last `days` UTC days ending today.
 */
import { type UsageDay, usageByDay } from '../../db/reports.ts';
import type { Deps } from '../deps.ts';

const DAY_MS = 24 * 3600 * 1000;

export interface UsageReport {
  from: Date;
  to: Date;
  days: UsageDay[];
}

export async function usageReport(deps: Deps, accountId: string, days: number): Promise<UsageReport> {
  const now = await deps.clock.now();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS);
  const from = new Date(to.getTime() - days * DAY_MS);
  return { from, to, days: await usageByDay(deps.db.read, accountId, from, to) };
}
