/**
 * Reading ISP batches (SPEC §6): one batch or a page of them, each with its allowances for the
 * current billing period, and a batch's IP list with its proxy credentials in the download
 * formats. Another tenant's batch is not_found.
 */
import type { BatchView } from '../../contract/isp-batch.ts';
import type { Sql } from '../../db/client.ts';
import {
  type Batch,
  countQuotaReplacements,
  getBatch,
  listBatches,
  listLiveBatchIps,
} from '../../db/isp-batch-queries.ts';
import { batchCredentials } from '../../domain/batch-credentials.ts';
import { currentPeriod } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { formatIpList, type IpListFormat, ipListContentType } from '../../domain/ip-list.ts';
import { allowances } from '../../domain/replacement-quota.ts';
import type { Deps } from '../deps.ts';

/** What the batch reads answer; defined with its presenter (contract/isp-batch.ts). */

/**
 * Whether the batch's refresh is used in the period starting at `periodStart`: the flag counts
 * only in the period it was set in (migration 010), so it resets when the period rolls over.
 */
export function refreshUsedIn(b: Batch, periodStart: Date): boolean {
  if (!b.refreshUsedInPeriod) return false;
  return b.refreshPeriodStart === null || b.refreshPeriodStart.getTime() === periodStart.getTime();
}

/** Attaches each batch's allowances for the billing period that contains `now`. */
export async function withAllowances(q: Sql, batches: Batch[], now: Date): Promise<BatchView[]> {
  const periods = batches.flatMap((b) =>
    b.periodStartedAt ? [{ batchId: b.id, ...currentPeriod(b.periodStartedAt, b.months, now) }] : [],
  );
  const used = await countQuotaReplacements(q, periods);
  const periodOf = new Map(periods.map((p) => [p.batchId, p]));
  return batches.map((b) => {
    const period = periodOf.get(b.id);
    return {
      ...b,
      allowances: period
        ? allowances({
            purchasedAt: b.createdAt,
            now,
            batchSize: b.quantity,
            periodEnd: period.end,
            usedThisPeriod: used.get(b.id) ?? 0,
            refreshUsed: refreshUsedIn(b, period.start),
          })
        : null,
    };
  });
}

/** One batch with its allowances, read through `q` (a transaction's, to see its own writes). */
export async function batchView(
  q: Sql,
  id: string,
  accountId: string | null,
  now: Date,
): Promise<BatchView | null> {
  const b = await getBatch(q, id, accountId);
  if (!b) return null;
  const [view] = await withAllowances(q, [b], now);
  return view!;
}

/** accountId null: an operator sees any account's batch. */
export async function findBatch(
  deps: Deps,
  accountId: string | null,
  id: string,
): Promise<Result<BatchView>> {
  const view = await batchView(deps.db, id, accountId, await deps.clock.now());
  if (!view) return err('not_found', `No such ISP batch: ${id}`, { param: 'id' });
  return ok(view);
}

/** A page of the account's batches, newest first: limit + 1 rows so the caller can tell has_more. */
export async function searchBatches(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string; status?: string },
): Promise<Result<BatchView[]>> {
  const rows = await listBatches(deps.db, accountId, { ...page, limit: page.limit + 1 });
  return ok(await withAllowances(deps.db, rows, await deps.clock.now()));
}

export interface IpListDownload {
  body: string;
  contentType: string;
  count: number;
}

/** The IP list of a ready batch in a download format; any other status is invalid_state. */
export async function batchIpList(
  deps: Deps,
  accountId: string,
  id: string,
  format: IpListFormat,
): Promise<Result<IpListDownload>> {
  const b = await getBatch(deps.db, id, accountId);
  if (!b) return err('not_found', `No such ISP batch: ${id}`, { param: 'id' });
  if (b.status !== 'ready') {
    return err('invalid_state', `The IPs of a batch are listed once it is ready; this batch is ${b.status}`, {
      detail: { status: b.status },
    });
  }
  const rows = await listLiveBatchIps(deps.db, b.id);
  return ok({
    body: formatIpList(rows, batchCredentials(b), format),
    contentType: ipListContentType(format),
    count: rows.length,
  });
}
