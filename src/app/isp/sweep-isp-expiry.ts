/**
 * The ISP expiry sweep (SPEC §6 Expiry, §9), run every minute by the periodic job
 * `isp_expiry_sweep` (jobs/isp-expiry.ts). Each run finds the batches due now with indexed
 * queries, so a run that was missed (a stopped server) catches up on the next one:
 *  1. auto-renewal: an auto-renewing ready batch is renewed (renew-batch.ts, charged like any
 *     order) from 1 day before its expiry; if the payment fails, the customer gets a "card declined
 *     on auto-renew" mail, once for that expiry, and the batch is left to expire;
 *  2. reminders: 7 days and 1 day before expires_at, once each per expiry (renewing clears them),
 *     each a mail and an `isp_batch.expiring` event;
 *  3. expiry: at expires_at a ready batch becomes `expired` (its proxies stop: the list is no
 *     longer served), grace until expires_at + GRACE_HOURS, with an "expired" mail and an
 *     `isp_batch.expired` event;
 *  4. release: at the end of the grace the batch is `released` and its IPs return to stock, in
 *     the same transaction as a wait-queue run and the stock-alert evaluation of its country.
 * Marks, mails and events are written in one transaction, and every claim is conditional, so two sweeps
 * at once never send a mail twice.
 */

import {
  claimDueReminders,
  type DueBatch,
  expireDueBatches,
  listDueAutoRenewals,
  listGraceOver,
  markAutoRenewFailed,
  pendingExpiries,
  releaseExpiredBatch,
} from '../../db/isp-expiry.ts';
import { lockIspStock } from '../../db/isp-stock.ts';
import {
  firstLifecycleMoment,
  GRACE_HOURS,
  pendingExpiryBounds,
  type ReminderDays,
} from '../../domain/batch-lifecycle.ts';
import type { DomainError } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { evaluateStockAlerts } from '../inventory/evaluate-stock-alerts.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { emitBatchEvents } from '../webhooks/emit-event.ts';
import { batchPlace } from './provision-isp-batch.ts';
import { renewBatch } from './renew-batch.ts';
import { enqueueWaitQueueRun } from './serve-wait-queue.ts';

const CHUNK = 100;
/** A run does at most this many chunks of each step; the next run (a minute later) goes on. */
const MAX_CHUNKS = 50;

export interface ExpirySweep {
  renewed: string[];
  renewFailed: string[];
  reminded7d: string[];
  reminded1d: string[];
  expired: string[];
  released: string[];
}

export async function sweepIspExpiry(deps: Deps): Promise<ExpirySweep> {
  const out: ExpirySweep = {
    renewed: [],
    renewFailed: [],
    reminded7d: [],
    reminded1d: [],
    expired: [],
    released: [],
  };
  await autoRenew(deps, out);
  for (const days of [7, 1] as const) await remind(deps, days, out);
  await expire(deps, out);
  await release(deps, out);
  const n = Object.values(out).reduce((s, a) => s + a.length, 0);
  if (n > 0) {
    deps.log.info(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.length])), 'ISP expiry sweep');
  }
  return out;
}

/**
 * The next moment after `after` at which the sweep has work (a reminder, an auto-renewal, an
 * expiry, the end of a grace): where the test clock's advance stops to run it on time.
 */
export async function nextIspExpiryWorkAt(deps: Deps, after: Date): Promise<Date | null> {
  return firstLifecycleMoment(await pendingExpiries(deps.db, pendingExpiryBounds(after)));
}

const iso = (d: Date) => d.toISOString();

function describe(b: DueBatch): string {
  return `${b.quantity} IPs in ${batchPlace(b)}`;
}

async function autoRenew(deps: Deps, out: ExpirySweep): Promise<void> {
  const due = await listDueAutoRenewals(deps.db, await deps.clock.now(), CHUNK * MAX_CHUNKS);
  for (const b of due) {
    let r: Awaited<ReturnType<typeof renewBatch>>;
    try {
      r = await renewBatch(deps, { accountId: b.accountId, batchId: b.id, months: b.months, auto: true });
    } catch (e) {
      // one batch's unexpected failure must not hold up the others (or the rest of the sweep);
      // it is tried again on the next run
      deps.log.error({ batchId: b.id, err: String(e) }, 'ISP batch auto-renewal threw');
      continue;
    }
    if (r.ok) {
      out.renewed.push(b.id);
      continue;
    }
    // renewed, expired or released meanwhile: nothing to report
    if (r.error.code === 'not_found' || r.error.code === 'invalid_state') continue;
    const at = await deps.clock.now();
    const marked = await deps.db.tx(async (q) => {
      if (!(await markAutoRenewFailed(q, b.id, b.expiresAt, at))) return false;
      const mail = autoRenewDeclinedMail(b, r.error);
      await queueMail(
        q,
        deps,
        { accountId: b.accountId, email: b.email },
        'isp_auto_renew_declined',
        mail,
        at,
      );
      return true;
    });
    if (marked) {
      out.renewFailed.push(b.id);
      deps.log.warn({ batchId: b.id, code: r.error.code }, 'ISP batch auto-renewal failed');
    }
  }
}

async function remind(deps: Deps, days: ReminderDays, out: ExpirySweep): Promise<void> {
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const at = await deps.clock.now();
    const sent = await deps.db.tx(async (q) => {
      const due = await claimDueReminders(q, days, at, CHUNK);
      for (const b of due) {
        const kind = days === 7 ? 'isp_expiry_reminder_7d' : 'isp_expiry_reminder_1d';
        await queueMail(q, deps, { accountId: b.accountId, email: b.email }, kind, reminderMail(b, days), at);
      }
      await emitBatchEvents(q, deps, 'isp_batch.expiring', due, at);
      return due.map((b) => b.id);
    });
    (days === 7 ? out.reminded7d : out.reminded1d).push(...sent);
    if (sent.length < CHUNK) return;
  }
}

async function expire(deps: Deps, out: ExpirySweep): Promise<void> {
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const at = await deps.clock.now();
    const done = await deps.db.tx(async (q) => {
      const due = await expireDueBatches(q, at, CHUNK);
      for (const b of due) {
        await queueMail(
          q,
          deps,
          { accountId: b.accountId, email: b.email },
          'isp_batch_expired',
          expiredMail(b),
          at,
        );
      }
      await emitBatchEvents(q, deps, 'isp_batch.expired', due, at);
      return due.map((b) => b.id);
    });
    out.expired.push(...done);
    if (done.length < CHUNK) return;
  }
}

async function release(deps: Deps, out: ExpirySweep): Promise<void> {
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const due = await listGraceOver(deps.db, await deps.clock.now(), CHUNK);
    for (const b of due) {
      const at = await deps.clock.now();
      const released = await deps.db.tx(async (q) => {
        // the stock lock before the batch, as every ISP flow (the alert evaluation takes it too)
        await lockIspStock(q, b.country);
        const n = await releaseExpiredBatch(q, b.id, at);
        if (n === null) return false;
        // the IPs are back in stock: waiting orders may be served, alerts may fire
        await enqueueWaitQueueRun(q, at, b.country);
        await evaluateStockAlerts(q, deps, [b.country], at);
        return true;
      });
      if (released) out.released.push(b.id);
    }
    if (due.length < CHUNK) return;
  }
}

// ---- mails ----

function reminderMail(b: DueBatch, days: ReminderDays): Mail {
  const when = days === 7 ? 'in 7 days' : 'tomorrow';
  return {
    subject: `Your ISP batch ${b.id} expires ${when}`,
    body: [
      'Hello,',
      '',
      `Your ISP batch ${b.id} (${describe(b)}) expires ${when}, at ${iso(b.expiresAt)}.`,
      `Renew it in the console (ISP → batches) or with POST /v1/isp/batches/${b.id}/renew {"months": 1 or 12},`,
      'or switch auto-renew on to have it renewed a day before it expires.',
      `After it expires the proxies stop, and its IPs are kept for you for ${GRACE_HOURS} hours; then they return to stock.`,
    ].join('\n'),
  };
}

function expiredMail(b: DueBatch): Mail {
  const grace = b.graceUntil ? iso(b.graceUntil) : `${GRACE_HOURS} hours from now`;
  return {
    subject: `Your ISP batch ${b.id} has expired`,
    body: [
      'Hello,',
      '',
      `Your ISP batch ${b.id} (${describe(b)}) expired at ${iso(b.expiresAt)}: its proxies have stopped.`,
      `Its IPs are kept for you until ${grace}: renew it before then to get the same IPs back`,
      `(POST /v1/isp/batches/${b.id}/renew). After that they return to stock.`,
    ].join('\n'),
  };
}

function autoRenewDeclinedMail(b: DueBatch, e: DomainError): Mail {
  return {
    subject: `Card declined on auto-renew of ISP batch ${b.id}`,
    body: [
      'Hello,',
      '',
      `We could not auto-renew your ISP batch ${b.id} (${describe(b)}): ${e.message}.`,
      `It expires at ${iso(b.expiresAt)} unless you renew it: top up your balance or update your card,`,
      `then renew it in the console or with POST /v1/isp/batches/${b.id}/renew.`,
    ].join('\n'),
  };
}
