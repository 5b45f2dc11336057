/**
 * POST /v1/isp/batches/{id}/refresh (SPEC §6): every live IP of a ready batch is swapped for a
 * fresh one from the batch's place (its country, and its city and ASN where it has them — the
 * delivered place, after any substitution), and the old ones go back to stock. Once per billing
 * period (the period grid of currentPeriod), else `409 refresh_limit_reached`; the flag records
 * the period it was used in, so it resets when the period rolls over (migration 010).
 *
 * All or nothing: if the place cannot supply as many fresh IPs as the batch has live ones,
 * `422 insufficient_inventory` and nothing changes. IPs kept for orders waiting for stock are not
 * taken (first come, first served, as for new orders). Lock order as for orders: the country's
 * stock lock first, then the batch.
 */

import type { BatchView } from '../../contract/isp-batch.ts';
import { getBatch, listLiveBatchIps } from '../../db/isp-batch-queries.ts';
import { insertReplacements, markRefreshUsed, swapBatchIps } from '../../db/isp-lifecycle.ts';
import { claimIps, lockIspStock } from '../../db/isp-stock.ts';
import { waitingPlaces } from '../../db/isp-wait-queue.ts';
import { currentPeriod } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { refreshDecision } from '../../domain/replacement-quota.ts';
import type { Deps } from '../deps.ts';
import { evaluateStockAlerts } from '../inventory/evaluate-stock-alerts.ts';
import { resultTx } from '../result-tx.ts';
import { batchView, refreshUsedIn } from './batch-view.ts';
import { enqueueWaitQueueRun } from './serve-wait-queue.ts';

export async function refreshBatch(
  deps: Deps,
  cmd: { accountId: string; id: string },
): Promise<Result<BatchView>> {
  const now = await deps.clock.now();
  const first = await getBatch(deps.db, cmd.id, cmd.accountId);
  if (!first) return err('not_found', `No such ISP batch: ${cmd.id}`, { param: 'id' });
  return resultTx(deps.db, async (q): Promise<Result<BatchView>> => {
    await lockIspStock(q, first.country);
    const b = await getBatch(q, cmd.id, cmd.accountId, { forUpdate: true });
    if (!b) return err('not_found', `No such ISP batch: ${cmd.id}`, { param: 'id' });
    if (b.status !== 'ready' || !b.periodStartedAt) {
      return err('invalid_state', `Only a ready batch can be refreshed; this batch is ${b.status}`, {
        detail: { status: b.status },
      });
    }
    const period = currentPeriod(b.periodStartedAt, b.months, now);
    const decision = refreshDecision({
      refreshUsedThisPeriod: refreshUsedIn(b, period.start),
      periodEnd: period.end,
    });
    if (!decision.ok) return decision;

    const live = await listLiveBatchIps(q, b.id);
    const fresh = await claimIps(q, {
      country: b.country,
      city: b.city,
      asn: b.asn,
      batchId: b.id,
      quantity: live.length,
      at: now,
      exclude: await waitingPlaces(q, b.country),
      freshFor: b.id,
    });
    if (fresh.length < live.length) {
      const where = [b.country, b.city, b.asn].filter((x) => x !== null).join('/');
      // resultTx rolls the partial claim back: nothing changes
      return err(
        'insufficient_inventory',
        `Only ${fresh.length} fresh IPs are available in ${where}; the refresh needs ${live.length}`,
        { detail: { available: fresh.length, requested: live.length } },
      );
    }
    const returned = await swapBatchIps(q, {
      batchId: b.id,
      oldIds: live.map((i) => i.id),
      newIds: fresh.map((i) => i.id),
      reason: 'refresh',
      at: now,
    });
    await insertReplacements(
      q,
      live.map((old, i) => ({
        id: deps.ids.next('rpl'),
        batchId: b.id,
        oldIpId: old.id,
        newIpId: fresh[i]!.id,
        reason: 'refresh',
        free: true,
        countsTowardQuota: false,
        orderId: null,
      })),
      now,
    );
    await markRefreshUsed(q, b.id, period.start, now);
    await enqueueWaitQueueRun(q, now, b.country);
    await evaluateStockAlerts(q, deps, [b.country], now, returned);
    return ok((await batchView(q, b.id, cmd.accountId, now))!);
  });
}
