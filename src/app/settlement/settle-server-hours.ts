/**
 * Hourly settlement of postpaid servers (SPEC §7): bills every complete clock hour of every
 * postpaid server exactly once, at its spec's hourly price (price book, product 'server'), after
 * reserved-instance coupons; charges the cash balance (one 'usage_charge' entry per server-hour,
 * so one long run and many short ones write the same entries); suspends the postpaid servers of
 * accounts whose arrears pass ORDERDESK_ARREARS_SUSPEND_CENTS; resumes those whose arrears were
 * paid by a path that did not resume them itself.
 *
 * Accounts are settled in batches, each batch in its own transaction with its accounts locked
 * (FOR UPDATE SKIP LOCKED: two workers share the accounts, none waits for the other) and every
 * server's cursor moved by compare-and-set with the charges. A crash loses only the batch in
 * progress; the next run bills it. The rules of which hours are billed are in db/settlement.ts.
 */
import { listPrices } from '../../db/price-book.ts';
import {
  addRunTotals,
  anyRunningPostpaidServer,
  countBillableAccounts,
  finishRun,
  insertRun,
  lockBillableAccounts,
  NO_TOTALS,
  type PricedHour,
  type RunTotals,
  resumeSuspendedServers,
  type ServerHour,
  type SettlementRun,
  serverHoursToBill,
  suspendForArrears,
  writeServerCharges,
} from '../../db/settlement.ts';
import { ok, type Result } from '../../domain/errors.ts';
import {
  isServerSpec,
  type ServerPriceBook,
  serverHourlyAmount,
  serverPriceBookFromRows,
} from '../../domain/server-specs.ts';
import type { Deps } from '../deps.ts';

const HOUR_MS = 3600 * 1000;

export interface SettleOptions {
  /** accounts per transaction (default 200) */
  batchSize?: number;
  /**
   * called after each committed batch with the accounts settled so far, of `total` (those with
   * an hour to bill when the run started): a progress display, crash tests
   */
  afterBatch?: (progress: { accounts: number; total: number; totals: RunTotals }) => Promise<void> | void;
}

/** The clock hour (UTC) `at` falls in. */
export function hourOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
}

/** Each server-hour at its spec's hourly price (0 when a coupon covers it), with a ledger id when charged. */
export function priceHours(
  book: ServerPriceBook,
  hours: readonly ServerHour[],
  ids: Deps['ids'],
): PricedHour[] {
  return hours.map((h) => {
    if (!isServerSpec(h.spec)) throw new Error(`server ${h.serverId} has an unknown spec ${h.spec}`);
    const amountCents = h.covered ? 0 : serverHourlyAmount(book, h.spec, 1);
    return {
      ...h,
      unitPrice4: book.hourly[h.spec],
      amountCents,
      ledgerId: amountCents > 0 ? ids.next('txn') : null,
    };
  });
}

function add(a: RunTotals, b: Partial<RunTotals>): RunTotals {
  return {
    serversBilled: a.serversBilled + (b.serversBilled ?? 0),
    hours: a.hours + (b.hours ?? 0),
    coveredHours: a.coveredHours + (b.coveredHours ?? 0),
    chargedCents: a.chargedCents + (b.chargedCents ?? 0),
    suspendedAccounts: a.suspendedAccounts + (b.suspendedAccounts ?? 0),
    resumedAccounts: a.resumedAccounts + (b.resumedAccounts ?? 0),
  };
}

export async function settleServerHours(
  deps: Deps,
  opts: SettleOptions = {},
): Promise<Result<SettlementRun>> {
  const batchSize = opts.batchSize ?? 200;
  const at = await deps.clock.now();
  const nowHour = hourOf(at);
  const limitCents = deps.config.arrearsSuspendCents;
  // the server price book as it is now (read here: the payment paths import this room, so it imports
  // no other room)
  const book = serverPriceBookFromRows(await listPrices(deps.db, 'server'));
  const runId = await insertRun(deps.db, at, at);

  // arrears paid some way that did not resume the servers itself
  await deps.db.tx(async (q) => {
    const resumed = await resumeSuspendedServers(q, null, at);
    if (resumed.length > 0) await addRunTotals(q, runId, { ...NO_TOTALS, resumedAccounts: resumed.length });
  });

  const total = opts.afterBatch ? await countBillableAccounts(deps.db, nowHour) : 0;
  let after = '';
  let accounts = 0;
  let totals = NO_TOTALS;
  for (;;) {
    const batch = await deps.db.tx(async (q) => {
      const ids = await lockBillableAccounts(q, { after, limit: batchSize, nowHour });
      if (ids.length === 0) return null;
      const hours = await serverHoursToBill(q, { accountIds: ids, nowHour });
      let t = add(NO_TOTALS, await writeServerCharges(q, priceHours(book, hours, deps.ids), runId, at));
      const suspended = await suspendForArrears(q, ids, limitCents, at);
      if (suspended.length > 0) {
        // a server suspended mid-hour pays that started hour now
        const suspendedAccounts = [...new Set(suspended.map((s) => s.accountId))];
        const started = await serverHoursToBill(q, {
          accountIds: suspendedAccounts,
          serverIds: suspended.map((s) => s.serverId),
          nowHour,
        });
        t = add(t, await writeServerCharges(q, priceHours(book, started, deps.ids), runId, at));
        t = add(t, { suspendedAccounts: suspendedAccounts.length });
        deps.log.info(
          { accounts: suspendedAccounts, servers: suspended.length },
          'servers suspended for arrears',
        );
      }
      await addRunTotals(q, runId, t);
      return { ids, totals: t };
    });
    if (!batch) break;
    after = batch.ids[batch.ids.length - 1]!;
    accounts += batch.ids.length;
    totals = add(totals, batch.totals);
    await opts.afterBatch?.({ accounts, total: Math.max(total, accounts), totals });
  }
  return ok(await finishRun(deps.db, runId, await deps.clock.now()));
}

export const SETTLE_SERVER_HOURS_JOB = 'settle_server_hours';

/**
 * The periodic job: every 5 minutes, so an hour is billed soon after it ends. While a postpaid
 * server runs, it names the next hour's end as its next moment (nextWorkAt), so the test clock's
 * advance stops at every hour: one 10-hour advance bills, and suspends for arrears, exactly as
 * ten 1-hour advances do.
 */
export const settleServerHoursJob = {
  everySeconds: 300,
  nextWorkAt: async (deps: Deps, after: Date): Promise<Date | null> =>
    (await anyRunningPostpaidServer(deps.db)) ? new Date(hourOf(after).getTime() + HOUR_MS) : null,
  handler: async (deps: Deps): Promise<void> => {
    const r = await settleServerHours(deps);
    if (r.ok && r.value.hours + r.value.resumedAccounts > 0) {
      deps.log.info({ ...r.value }, 'postpaid servers settled');
    }
  },
};
