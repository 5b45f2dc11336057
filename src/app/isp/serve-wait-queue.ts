/**
 * Delivering ISP orders that wait for stock (SPEC §6, `on_shortage: "wait"`): first come, first
 * served, and in full.
 *
 * The queue of a country is served in order of arrival, in one transaction under the country's
 * stock lock. An order is delivered only whole: if its place cannot supply all its IPs it keeps
 * waiting, and no later order may take an IP that it could use (its city and ASN, each "any" when
 * it named none). So a small order behind a big one for the same place does not jump the queue
 * and eat the stock the big one waits for, while a later order for a place the big one cannot use
 * (another city, another ASN) is served; a country-wide waiting order holds up every later order
 * of its country. A delivered order goes to `provisioning` with the provisioning job queued; its
 * batch's first period starts at delivery.
 *
 * New orders are not held back by the queue: they take stock that is available when they are
 * placed. Stock that arrives (an import, a release) triggers a run (enqueueWaitQueueRun, in the
 * transaction that added the stock); a periodic run is the safety net.
 */
import type { Sql } from '../../db/client.ts';
import { startWaitingBatch } from '../../db/isp-new-batches.ts';
import { claimIps, lockIspStock, unclaimIps } from '../../db/isp-stock.ts';
import {
  hasOpenWaits,
  listOpenWaits,
  markWaitServed,
  openWaitCountries,
  type WaitEntry,
} from '../../db/isp-wait-queue.ts';
import { enqueueJob } from '../../db/jobs.ts';
import { lockOrder } from '../../db/order-state.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import type { Deps } from '../deps.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { changeOrderState } from '../orders/change-order-state.ts';
import { enqueueProvisioning } from './enqueue-provisioning.ts';

/** The job kind that serves the wait queue (payload `{country?}`). */
export const SERVE_WAIT_QUEUE_JOB = 'serve_isp_wait_queue';

/**
 * Queues a run of the wait queue, in the caller's transaction (the one that added stock), if any
 * order waits (in that country, when given). Call it from an inventory import or a release.
 */
export async function enqueueWaitQueueRun(q: Sql, now: Date, country?: string): Promise<void> {
  if (!(await hasOpenWaits(q, country ?? null))) return;
  await enqueueJob(q, { kind: SERVE_WAIT_QUEUE_JOB, payload: country ? { country } : {}, runAt: now, now });
}

export interface WaitQueueRun {
  /** orders delivered by this run, in the order they were served */
  served: string[];
  /** orders still waiting in the countries looked at */
  waiting: number;
}

export async function serveWaitQueue(deps: Deps, opts: { country?: string } = {}): Promise<WaitQueueRun> {
  const countries = opts.country ? [opts.country] : await openWaitCountries(deps.db);
  const run: WaitQueueRun = { served: [], waiting: 0 };
  for (const country of countries) {
    const at = await deps.clock.now();
    const r = await deps.db.tx((q) => serveCountry(deps, q, country, at));
    run.served.push(...r.served);
    run.waiting += r.waiting;
  }
  if (run.served.length > 0)
    deps.log.info({ served: run.served.length, waiting: run.waiting }, 'wait queue served');
  return run;
}

async function serveCountry(deps: Deps, q: Sql, country: string, at: Date): Promise<WaitQueueRun> {
  await lockIspStock(q, country);
  // the places of earlier orders still waiting: their IPs are theirs first
  const blocked: { city: string | null; asn: number | null }[] = [];
  const served: string[] = [];
  for (const e of await listOpenWaits(q, country)) {
    const order = await lockOrder(q, e.orderId, null);
    // cancelled meanwhile (cancellation takes the order's lock, then leaves the queue)
    if (order?.status !== 'waiting_inventory') continue;
    const ips = await claimIps(q, {
      country: e.country,
      city: e.city,
      asn: e.asn,
      batchId: e.batchId,
      quantity: e.quantity,
      at,
      exclude: blocked,
    });
    if (ips.length < e.quantity) {
      await unclaimIps(
        q,
        e.batchId,
        ips.map((i) => i.id),
        at,
      );
      blocked.push({ city: e.city, asn: e.asn });
      continue;
    }
    const expiresAt = addMonths(at, e.months);
    const started = await startWaitingBatch(
      q,
      e.batchId,
      ips.map((i) => i.id),
      { at, expiresAt },
    );
    if (!started) throw new Error(`batch ${e.batchId} of waiting order ${e.orderId} is not waiting`);
    await changeOrderState(q, e.orderId, {
      status: ['waiting_inventory', 'provisioning'],
      details: { expires_at: expiresAt.toISOString() },
      term: { startsAt: at, endsAt: expiresAt },
      cause: 'stock arrived: delivered from the wait queue',
      at,
    });
    await markWaitServed(q, e.orderId, at);
    await enqueueProvisioning(deps, q, e.batchId, e.country, at);
    await queueMail(
      q,
      deps,
      { accountId: e.accountId },
      'isp_wait_delivered',
      waitDeliveredMail(e, expiresAt),
      at,
    );
    served.push(e.orderId);
  }
  return { served, waiting: blocked.length };
}

/** SPEC §9 "waiting order delivered" (the "batch ready" mail follows when it is provisioned). */
function waitDeliveredMail(e: WaitEntry, expiresAt: Date): Mail {
  return {
    subject: `Your waiting ISP order ${e.orderId} is being delivered`,
    body: [
      'Hello,',
      '',
      `Stock arrived for your waiting ISP order ${e.orderId}: its ${e.quantity} IPs are allocated to batch`,
      `${e.batchId}, which is being provisioned now (until ${expiresAt.toISOString()}).`,
      'You will get another mail when the batch is ready.',
    ].join('\n'),
  };
}
