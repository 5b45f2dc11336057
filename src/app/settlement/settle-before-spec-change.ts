/**
 * A postpaid server's complete hours billed before its spec moves (a change, the start or the end
 * of a temporary upgrade). Settlement prices every unbilled hour at the spec the server has when
 * it runs (every 5 minutes), so without this the hours that ended since its last run — and the
 * hour of the move — were billed at the new spec though they ran at the old one. Called in the
 * moving transaction: the server's row is locked first (waiting for a settlement run that holds
 * it, which then bills those hours itself), its complete hours up to the current one are written
 * as a settlement run of their own, and the spec moves after, in the same commit. The started
 * hour is billed at the spec it ends with, as every started hour is (SPEC §7: billed at the end
 * of each hour).
 */
import type { Sql } from '../../db/client.ts';
import { listPrices } from '../../db/price-book.ts';
import { getServer } from '../../db/servers.ts';
import {
  addRunTotals,
  finishRun,
  insertRun,
  NO_TOTALS,
  serverHoursToBill,
  writeServerCharges,
} from '../../db/settlement.ts';
import { serverPriceBookFromRows } from '../../domain/server-specs.ts';
import type { Deps } from '../deps.ts';
import { hourOf, priceHours } from './settle-server-hours.ts';

/** Bills the postpaid server's complete hours before `at`'s hour; how many were billed. */
export async function settleBeforeSpecChange(
  deps: Deps,
  q: Sql,
  server: { id: string; accountId: string },
  at: Date,
): Promise<number> {
  const s = await getServer(q, server.id, server.accountId, { forUpdate: true });
  if (s?.paymentMode !== 'postpaid') return 0;
  const hours = await serverHoursToBill(q, {
    accountIds: [server.accountId],
    serverIds: [server.id],
    nowHour: hourOf(at),
  });
  if (hours.length === 0) return 0;
  const book = serverPriceBookFromRows(await listPrices(q, 'server'));
  const runId = await insertRun(q, at, at);
  const totals = await writeServerCharges(q, priceHours(book, hours, deps.ids), runId, at);
  await addRunTotals(q, runId, { ...NO_TOTALS, ...totals });
  await finishRun(q, runId, at);
  return totals.hours;
}
