/**
 * Sending webhook deliveries (SPEC §1), run by the worker every few seconds (jobs/deliver-webhooks.ts).
 * Due deliveries are claimed with FOR UPDATE SKIP LOCKED (any number of workers share them and none
 * sends a row another one holds), POSTed signed to their endpoint, and marked:
 *  - 2xx: delivered;
 *  - anything else (another status, a redirect, a network error, no answer within 10 s, an
 *    address that is not public — see public-only-lookup.ts): retried
 *    with exponential backoff — 30 s, 1 min, 2 min, … doubling, at most 6 h apart — until 3 days
 *    after the event (after the replay, for a replay), the last attempt at that moment exactly;
 *    then failed.
 * Business times (due, retry, delivered_at) come from the injected clock, so the test clock drives
 * retries. What is about the live process is wall time: the HTTP timeout, the claim's lease (a
 * worker that dies mid-send gives its rows back after LEASE_MS of real time), and the signature's
 * `t`, which receivers compare with their own clock.
 * Delivery is at least once: a worker that dies after the endpoint answered but before marking the
 * row sends it again later. Receivers deduplicate by the event id (the body's `id`).
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import {
  type ClaimedDelivery,
  claimDueDeliveries,
  markAttemptFailed,
  markDelivered,
} from '../../db/webhooks.ts';
import { SIGNATURE_HEADER, sign } from '../../domain/webhook-signature.ts';
import type { Deps } from '../deps.ts';
import {
  bareHost,
  isNonPublicAddress,
  NOT_PUBLIC_MESSAGE,
  NotPublicAddressError,
  publicOnlyLookup,
} from './public-only-lookup.ts';

const HTTP_TIMEOUT_MS = 10_000;
/** A claim's lease: longer than a round of sends (they run side by side, each at most 10 s). */
export const LEASE_MS = 60_000;
const FIRST_RETRY_SECONDS = 30;
const MAX_RETRY_SECONDS = 6 * 3600;

/** Seconds to wait after the `attempts`-th failed attempt: 30 s doubling, capped at 6 h. */
export function retryDelaySeconds(attempts: number): number {
  const exponent = Math.min(Math.max(0, attempts - 1), 20);
  return Math.min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** exponent);
}

/**
 * When to try again after the `attempts`-th failure at `now`: the backoff, but never later than
 * the delivery's deadline (so the last attempt happens at the deadline); null once the deadline
 * has been reached (the delivery has failed for good).
 */
export function nextAttemptAt(attempts: number, now: Date, retryUntil: Date): Date | null {
  if (now.getTime() >= retryUntil.getTime()) return null;
  return new Date(Math.min(now.getTime() + retryDelaySeconds(attempts) * 1000, retryUntil.getTime()));
}

interface Outcome {
  status: number | null;
  error: string | null;
}

/**
 * POSTs the delivery with node:http(s), not fetch, to choose the connection's address lookup:
 * unless `allowPrivate`, a non-public IP-literal host is refused before connecting and a name is
 * refused when it resolves to a non-public address (public-only-lookup.ts). Redirects are not followed
 * (a 3xx is a failure: it could point anywhere) and the answer's body is not read. The 10 s covers
 * connecting, sending and the answer's head; it still bounds the draining of the body after that.
 */
function post(d: ClaimedDelivery, wallSeconds: number, allowPrivate: boolean): Promise<Outcome> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(d.url);
    } catch (e) {
      return resolve({ status: null, error: describeFailure(e) });
    }
    const host = bareHost(url.hostname);
    if (!allowPrivate && isIP(host) !== 0 && isNonPublicAddress(host)) {
      return resolve({ status: null, error: NOT_PUBLIC_MESSAGE });
    }
    const body = Buffer.from(d.body, 'utf8');
    const send = url.protocol === 'https:' ? https.request : http.request;
    const req = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(body.length),
        'user-agent': 'orderdesk-webhooks/1',
        [SIGNATURE_HEADER]: sign(d.secret, d.body, wallSeconds),
        'orderdesk-event-id': d.eventId,
        'orderdesk-event-type': d.eventType,
        'orderdesk-delivery-id': d.id,
      },
      // a connection of its own: a pooled one may have been opened under another policy
      agent: false,
      ...(allowPrivate ? {} : { lookup: publicOnlyLookup }),
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    req.on('response', (res) => {
      // the answer's body is not read: drained (the timeout's abort still ends a slow one)
      res.on('error', () => {});
      res.resume();
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      resolve({ status, error: ok ? null : `HTTP ${status}` });
    });
    req.on('error', (e) => resolve({ status: null, error: describeFailure(e) }));
    req.end(body);
  });
}

function describeFailure(e: unknown): string {
  if (e instanceof NotPublicAddressError) return NOT_PUBLIC_MESSAGE;
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) {
    return `no answer within ${HTTP_TIMEOUT_MS / 1000} s`;
  }
  const message = e instanceof Error ? e.message : String(e);
  const code = e instanceof Error ? (e as NodeJS.ErrnoException).code : undefined;
  return code && !message.includes(code) ? `${message}: ${code}` : message;
}

export interface DeliveryRun {
  delivered: number;
  retrying: number;
  failed: number;
}

/**
 * Sends due deliveries, `batch` at a time side by side, for at most `rounds` rounds (so one run
 * stays within its job's lease). `wallNow` is a test seam: the wall clock for leases.
 */
export async function deliverDueWebhooks(
  deps: Deps,
  opts: { batch?: number; rounds?: number; wallNow?: () => number } = {},
): Promise<DeliveryRun> {
  const batch = opts.batch ?? 25;
  const rounds = opts.rounds ?? 4;
  const wall = opts.wallNow ?? Date.now;
  const run: DeliveryRun = { delivered: 0, retrying: 0, failed: 0 };
  for (let round = 0; round < rounds; round++) {
    const wallNow = wall();
    const claimed = await claimDueDeliveries(deps.db, {
      now: await deps.clock.now(),
      wallNow: new Date(wallNow),
      lockUntil: new Date(wallNow + LEASE_MS),
      limit: batch,
    });
    if (claimed.length === 0) break;
    await Promise.all(claimed.map((d) => deliverOne(deps, d, Math.floor(wall() / 1000), run)));
    if (claimed.length < batch) break;
  }
  return run;
}

async function deliverOne(deps: Deps, d: ClaimedDelivery, wallSeconds: number, run: DeliveryRun) {
  if (!d.endpointLive) {
    await markAttemptFailed(deps.db, {
      id: d.id,
      attempts: d.attempts,
      status: null,
      error: 'the endpoint was deleted or disabled',
      retryAt: null,
    });
    run.failed += 1;
    return;
  }
  const outcome = await post(d, wallSeconds, deps.config.webhookPrivateTargets);
  // the answer's time, on the injected clock
  const at = await deps.clock.now();
  if (outcome.error === null && outcome.status !== null) {
    await markDelivered(deps.db, { id: d.id, attempts: d.attempts, status: outcome.status, at });
    run.delivered += 1;
    return;
  }
  const retryAt = nextAttemptAt(d.attempts, at, d.retryUntil);
  await markAttemptFailed(deps.db, {
    id: d.id,
    attempts: d.attempts,
    status: outcome.status,
    error: outcome.error,
    retryAt,
  });
  if (retryAt) run.retrying += 1;
  else run.failed += 1;
  deps.log.warn(
    { delivery: d.id, event: d.eventId, endpoint: d.endpointId, attempt: d.attempts, error: outcome.error },
    retryAt ? 'webhook delivery failed; will retry' : 'webhook delivery failed for good',
  );
}
