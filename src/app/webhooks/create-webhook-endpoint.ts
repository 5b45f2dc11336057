/**
 * Webhook endpoints (SPEC §1): registered by an account for its own events, or by an operator
 * (owner null) for every account's events; listed, retrieved, deleted; their deliveries listed
 * and replayed. The secret is made here and shown once, in the creation's answer.
 */
import { attachResource } from '../../db/idempotency.ts';
import {
  countLiveEndpoints,
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  insertEndpoint,
  insertReplay,
  listDeliveries,
  listEndpoints,
  type Owner,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../../db/webhooks.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { randomToken } from '../access/secrets.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { EVENT_TYPES, RETRY_WINDOW_MS } from './emit-event.ts';
import { hostProblem } from './public-only-lookup.ts';

/** Live endpoints per owner (Stripe allows 16 per account). */
const MAX_ENDPOINTS = 16;
export const MAX_URL_LENGTH = 2048;
export const ALL_EVENTS = '*';

export interface CreateEndpointCommand {
  owner: Owner;
  url: string;
  /** event types; omitted: every type */
  events?: readonly string[];
  description?: string | null;
  idem?: IdempotencyLink;
}

/**
 * The URL an endpoint may have: absolute http or https, with a host, without credentials (a
 * request cannot carry them in its URL), at most 2048 characters; unless `allowPrivate`
 * (Config.webhookPrivateTargets), its host is not a non-public IP literal nor a `localhost` name
 * (public-only-lookup.ts; delivery checks the addresses a name resolves to). The refusal, or null.
 */
function urlProblem(raw: string, allowPrivate = false): string | null {
  if (raw.length > MAX_URL_LENGTH) return `url must be at most ${MAX_URL_LENGTH} characters`;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'url must be an absolute http or https URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'url must use http or https';
  if (!u.hostname) return 'url must name a host';
  if (u.username || u.password) return 'url must not contain a user name or password';
  return allowPrivate ? null : hostProblem(u.hostname);
}

/** The event types as stored: deduplicated, known ones only; '*' stands for all. */
function normalizeEvents(events: readonly string[] | undefined): Result<string[]> {
  if (events === undefined) return ok([ALL_EVENTS]);
  if (events.length === 0) {
    return err('invalid_request', 'events must name at least one event type, or be omitted for all', {
      param: 'events',
    });
  }
  const known = new Set<string>([ALL_EVENTS, ...EVENT_TYPES]);
  const unknown = events.find((e) => !known.has(e));
  if (unknown !== undefined) {
    return err('invalid_request', `unknown event type "${unknown}"; known: ${EVENT_TYPES.join(', ')}, *`, {
      param: 'events',
    });
  }
  return ok(events.includes(ALL_EVENTS) ? [ALL_EVENTS] : [...new Set(events)]);
}

export async function createWebhookEndpoint(
  deps: Deps,
  cmd: CreateEndpointCommand,
): Promise<Result<WebhookEndpoint>> {
  const problem = urlProblem(cmd.url, deps.config.webhookPrivateTargets);
  if (problem) return err('invalid_request', problem, { param: 'url' });
  const events = normalizeEvents(cmd.events);
  if (!events.ok) return events;
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    // a soft limit against abuse: two racing creations may both pass it, which is harmless
    if ((await countLiveEndpoints(q, cmd.owner)) >= MAX_ENDPOINTS) {
      return err('invalid_request', `at most ${MAX_ENDPOINTS} webhook endpoints; delete one first`);
    }
    const endpoint = await insertEndpoint(q, {
      id: deps.ids.next('we'),
      accountId: cmd.owner,
      url: cmd.url,
      description: cmd.description ?? null,
      events: events.value,
      secret: `whsec_${randomToken(32)}`,
      createdAt: now,
    });
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'webhook_endpoint', endpoint.id);
    return ok(endpoint);
  });
}

/** The owner's live endpoint; another owner's (or a deleted one) is not_found. */
export async function findWebhookEndpoint(
  deps: Deps,
  owner: Owner,
  id: string,
): Promise<Result<WebhookEndpoint>> {
  const e = await getEndpoint(deps.db, id, owner);
  return e ? ok(e) : err('not_found', `No such webhook endpoint: ${id}`, { param: 'id' });
}

/** A page of the owner's endpoints, newest first: limit + 1 rows so the caller can tell has_more. */
export async function searchWebhookEndpoints(
  deps: Deps,
  owner: Owner,
  page: { limit: number; startingAfter?: string },
): Promise<Result<WebhookEndpoint[]>> {
  return ok(await listEndpoints(deps.db, owner, { ...page, limit: page.limit + 1 }));
}

/** Deletes the endpoint; its pending deliveries fail ("the endpoint was deleted"). */
export async function removeWebhookEndpoint(
  deps: Deps,
  owner: Owner,
  id: string,
): Promise<Result<WebhookEndpoint>> {
  const now = await deps.clock.now();
  const e = await deleteEndpoint(deps.db, id, owner, now);
  return e ? ok(e) : err('not_found', `No such webhook endpoint: ${id}`, { param: 'id' });
}

/** A page of a live endpoint's deliveries, newest first (limit + 1 rows). */
export async function searchWebhookDeliveries(
  deps: Deps,
  owner: Owner,
  endpointId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Result<WebhookDelivery[]>> {
  const e = await getEndpoint(deps.db, endpointId, owner);
  if (!e) return err('not_found', `No such webhook endpoint: ${endpointId}`, { param: 'id' });
  return ok(await listDeliveries(deps.db, e.id, { ...page, limit: page.limit + 1 }));
}

/**
 * Queues the delivery's event again to the same endpoint: a new delivery, due now, with the same
 * event (same id, same body) and its own 3-day retry window. The endpoint must still exist.
 */
export async function replayWebhookDelivery(
  deps: Deps,
  owner: Owner,
  deliveryId: string,
): Promise<Result<WebhookDelivery>> {
  const now = await deps.clock.now();
  const d = await getDelivery(deps.db, deliveryId, owner);
  if (!d) return err('not_found', `No such webhook delivery: ${deliveryId}`, { param: 'id' });
  return ok(
    await insertReplay(deps.db, {
      id: deps.ids.next('wd'),
      of: d,
      at: now,
      retryUntil: new Date(now.getTime() + RETRY_WINDOW_MS),
    }),
  );
}
