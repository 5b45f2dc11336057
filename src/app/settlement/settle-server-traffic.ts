/**
 * Daily settlement of postpaid servers' metered traffic (SPEC §7): every UTC day that has ended,
 * each account's reported traffic of that day is charged once, at the price book's `server` /
 * `traffic:gb` per GB (10^9 bytes), rounded half-up to the cent: one 'usage_charge' ledger entry
 * per account and day (none when it rounds to 0.00), and a server_traffic_charges row. Accounts in
 * batches, each one transaction with its accounts locked FOR UPDATE SKIP LOCKED; the reports are
 * marked with their charge in that transaction, so a re-run, a crash or a second worker charges
 * each report once.
 */
import type { Sql } from '../../db/client.ts';
import { moveCash } from '../../db/ledger.ts';
import { listPrices } from '../../db/price-book.ts';
import {
  claimTrafficDays,
  earliestUnsettledTraffic,
  insertTrafficCharge,
  lockAccountsWithTraffic,
} from '../../db/settlement-traffic.ts';
import { ok, type Result } from '../../domain/errors.ts';
import { divRoundHalfUp } from '../../domain/money.ts';
import { BYTES_PER_GB } from '../../domain/traffic.ts';
import type { Deps } from '../deps.ts';

const DAY_MS = 24 * 3600 * 1000;
/** 0.10 USD per GB when the price book has no `traffic:gb` row for servers (migration 024 adds it) */
const DEFAULT_TRAFFIC_PRICE4 = 1000;

export interface TrafficSettlement {
  accounts: number;
  days: number;
  bytes: number;
  chargedCents: number;
}

/** The charge for `bytes` at `price4` per GB: half-up to the cent, in BigInt. */
export function trafficAmount(price4: number, bytes: number): number {
  return Number(divRoundHalfUp(BigInt(price4) * BigInt(bytes), 100n * BigInt(BYTES_PER_GB)));
}

async function trafficPrice4(q: Sql): Promise<number> {
  const row = (await listPrices(q, 'server')).find((r) => r.code === 'traffic:gb');
  return row ? row.unitPrice4 : DEFAULT_TRAFFIC_PRICE4;
}

export async function settleServerTraffic(
  deps: Deps,
  opts: { batchSize?: number } = {},
): Promise<Result<TrafficSettlement>> {
  const at = await deps.clock.now();
  const dayStart = new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
  const price4 = await trafficPrice4(deps.db);
  const prefix = `trf_${deps.ids.next('txn').slice(4)}`;
  const total: TrafficSettlement = { accounts: 0, days: 0, bytes: 0, chargedCents: 0 };
  let after = '';
  for (;;) {
    const ids = await deps.db.tx(async (q) => {
      const batch = await lockAccountsWithTraffic(q, { after, limit: opts.batchSize ?? 200, dayStart });
      if (batch.length === 0) return batch;
      for (const d of await claimTrafficDays(q, { accountIds: batch, dayStart, prefix })) {
        const amountCents = trafficAmount(price4, d.bytes);
        const entry =
          amountCents > 0
            ? await moveCash(q, {
                id: deps.ids.next('txn'),
                accountId: d.accountId,
                amount: -amountCents,
                cause: 'usage_charge',
                memo: `server traffic ${d.day}: ${d.bytes} bytes`,
                at,
              })
            : null;
        await insertTrafficCharge(q, {
          ...d,
          unitPrice4: price4,
          amountCents,
          ledgerEntryId: entry?.id ?? null,
          at,
        });
        total.days += 1;
        total.bytes += d.bytes;
        total.chargedCents += amountCents;
      }
      return batch;
    });
    if (ids.length === 0) break;
    total.accounts += ids.length;
    after = ids[ids.length - 1]!;
  }
  return ok(total);
}

export const SETTLE_SERVER_TRAFFIC_JOB = 'settle_server_traffic';

/**
 * The periodic job: hourly, so a day is charged within the hour after it ends; with traffic not
 * charged yet, it names the end of that traffic's day as its next moment (the test clock stops
 * there).
 */
export const settleServerTrafficJob = {
  everySeconds: 3600,
  nextWorkAt: async (deps: Deps, after: Date): Promise<Date | null> => {
    const first = await earliestUnsettledTraffic(deps.db);
    if (!first) return null;
    const dayEnd = Math.floor(first.getTime() / 86_400_000) * 86_400_000 + 86_400_000;
    return dayEnd > after.getTime() ? new Date(dayEnd) : null;
  },
  handler: async (deps: Deps): Promise<void> => {
    const r = await settleServerTraffic(deps);
    if (r.ok && r.value.days > 0) deps.log.info({ ...r.value }, 'postpaid server traffic settled');
  },
};
