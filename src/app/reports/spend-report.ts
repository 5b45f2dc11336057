/**
 * GET /v1/reports/spend: the cash an account spent per month and product (paid less refunded, by
 * the month the order was placed; the dashboard's chart, SPEC §10), over the last `months`
 * UTC months including this one.
 */
import { type SpendMonth, spendByMonth } from '../../db/reports.ts';
import type { Deps } from '../deps.ts';

export interface SpendReport {
  from: Date;
  to: Date;
  months: SpendMonth[];
}

export async function spendReport(deps: Deps, accountId: string, months: number): Promise<SpendReport> {
  const now = await deps.clock.now();
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const from = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1 - months, 1));
  return { from, to, months: await spendByMonth(deps.db.read, accountId, from, to) };
}
