/**
 * The auto top-up job (SPEC §2): one run per crossing (enqueue-auto-top-up.ts). The top-up is an
 * ordinary bandwidth order (type new, details.source "auto_top_up") placed and paid by placeOrder
 * like any pay-now order: the balance, then the default card.
 *
 * Never twice for one crossing: the order is placed under an idempotency key named by the crossing
 * (scope `auto_top_up:<account>`), which placeOrder links to the order in the transaction that
 * writes it; a retried job finds that order (or finishes its half-done card payment first, as an
 * HTTP retry does) instead of placing another.
 *
 * The cap: a top-up that would take the month's auto spend (the account's auto_top_up orders of
 * the product since the start of the UTC month, by the injected clock) past the cap is not placed;
 * the rule turns off with disabled_reason "monthly_cap_reached". A failed payment turns it off with
 * the decline reason. Turning off is a conditional update, and the mail is queued in its
 * transaction, so the mail goes out once. One run of a rule at a time (running_until), so two
 * crossings' jobs on two workers cannot both pass the cap check.
 */
import {
  type AutoTopUpView,
  claimAutoTopUp,
  disableAutoTopUp,
  listAutoTopUps,
  releaseAutoTopUp,
} from '../../db/auto-top-ups.ts';
import { claimKey, completeKey, readKey, releaseKey } from '../../db/idempotency.ts';
import { type Cents, formatUsd } from '../../domain/money.ts';
import { BYTES_PER_GB, type TrafficProduct } from '../../domain/traffic.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { queueMail } from '../notifications/queue-mail.ts';
import { placeOrder } from '../orders/place-order.ts';
import { quoteOrder } from '../orders/quote-order.ts';
import { earlierOrderForKey } from '../payments/earlier-order-for-key.ts';
import { monthStart } from './month-start.ts';

const LEASE_SECONDS = 300;

export type AutoTopUpOutcome =
  | 'placed'
  | 'already_placed'
  | 'not_enabled'
  | 'monthly_cap_reached'
  | 'payment_failed';

export interface AutoTopUpJob {
  accountId: string;
  product: string;
  /** the usage ledger entry whose draw-down crossed the line */
  crossingId: string;
}

export async function runAutoTopUp(deps: Deps, job: AutoTopUpJob): Promise<AutoTopUpOutcome> {
  const now = await deps.clock.now();
  const leaseUntil = new Date(now.getTime() + LEASE_SECONDS * 1000);
  const rule = await claimAutoTopUp(deps.db, job.accountId, job.product, now, leaseUntil, monthStart(now));
  if (!rule) {
    const [current] = await listAutoTopUps(deps.db, job.accountId, monthStart(now), job.product);
    if (!current?.enabled) return 'not_enabled';
    // another run of this rule holds it: the worker retries this job with backoff
    throw new Error(`an auto top-up of ${job.product} for ${job.accountId} is already running`);
  }
  try {
    return await topUp(deps, rule, job, now, leaseUntil);
  } finally {
    await releaseAutoTopUp(deps.db, job.accountId, job.product);
  }
}

async function topUp(
  deps: Deps,
  rule: AutoTopUpView,
  job: AutoTopUpJob,
  now: Date,
  leaseUntil: Date,
): Promise<AutoTopUpOutcome> {
  const idem: IdempotencyLink = { scope: `auto_top_up:${job.accountId}`, key: job.crossingId };
  const key = await readKey(deps.db, idem.scope, idem.key);
  if (key) {
    // a retry of this crossing's job: the order an earlier attempt placed, or its card payment
    if (key.resourceId) return 'already_placed';
    const earlier = await earlierOrderForKey(deps, job.accountId, idem);
    if (earlier?.ok) return 'already_placed';
    if (earlier) throw new Error(earlier.error.message);
  } else {
    await claimKey(deps.db, {
      ...idem,
      requestHash: 'auto_top_up',
      now,
      leaseUntil,
      expiredBefore: new Date(0),
    });
  }

  const input = { product: rule.product as TrafficProduct, gb: rule.buyGb, source: 'auto_top_up' as const };
  const quote = await quoteOrder(deps, { accountId: job.accountId, input });
  if (!quote.ok) {
    await releaseKey(deps.db, idem.scope, idem.key);
    await stop(deps, rule, quote.error.code, null, now);
    return 'payment_failed';
  }
  const price = quote.value.order.payable;
  if (rule.monthSpentCents + price > rule.monthlyCapCents) {
    await releaseKey(deps.db, idem.scope, idem.key);
    await stop(deps, rule, 'monthly_cap_reached', price, now);
    return 'monthly_cap_reached';
  }

  const placed = await placeOrder(deps, { accountId: job.accountId, input, idem });
  if (placed.ok) {
    await completeKey(deps.db, idem.scope, idem.key, 200, JSON.stringify({ order: placed.value.id }));
    deps.log.info({ accountId: job.accountId, product: rule.product, order: placed.value.id }, 'auto top-up');
    return 'placed';
  }
  const e = placed.error;
  const decline = typeof e.detail?.decline_code === 'string' ? e.detail.decline_code : null;
  if (e.code === 'request_in_progress' || decline === 'balance_changed') throw new Error(e.message);
  await releaseKey(deps.db, idem.scope, idem.key);
  await stop(deps, rule, decline ?? e.code, price, now);
  return 'payment_failed';
}

/** Turns the rule off with `reason` and, for the run that turned it off, queues the mail. */
async function stop(
  deps: Deps,
  rule: AutoTopUpView,
  reason: string,
  price: Cents | null,
  now: Date,
): Promise<void> {
  await deps.db.tx(async (q) => {
    if (!(await disableAutoTopUp(q, rule.accountId, rule.product, reason, now))) return;
    await queueMail(
      q,
      deps,
      { accountId: rule.accountId },
      'auto_top_up_stopped',
      stoppedMail(rule, reason, price),
      now,
    );
  });
}

function stoppedMail(rule: AutoTopUpView, reason: string, price: Cents | null) {
  const what = `buy ${rule.buyGb} GB when the ${rule.product} pool falls below ${rule.belowBytes / BYTES_PER_GB} GB`;
  const amount = price === null ? '' : ` of ${formatUsd(price)} USD`;
  const why =
    reason === 'monthly_cap_reached'
      ? `the next top-up${amount} would take this month's auto top-up spend (${formatUsd(rule.monthSpentCents)} USD) past your monthly cap of ${formatUsd(rule.monthlyCapCents)} USD`
      : `the payment of the top-up${amount} failed (${reason})`;
  return {
    subject: `Auto top-up of ${rule.product} traffic stopped`,
    body: [
      `Your auto top-up (${what}) has been turned off: ${why}.`,
      '',
      `No order was placed. Turn it on again with PUT /v1/auto-top-ups/${rule.product} (Residential / Mobile in the console) once this is sorted out.`,
    ].join('\n'),
  };
}
