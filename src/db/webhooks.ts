/**
 * Webhooks (SPEC §1): endpoints, events and deliveries. An endpoint belongs to an account, or to
 * the operators (account_id null), whose endpoints receive every account's events. Deliveries are
 * an outbox: written in the transaction of the event's cause, claimed by the worker with
 * FOR UPDATE SKIP LOCKED, then marked delivered, retried later or failed.
 */
import type { Sql } from './client.ts';

/** An endpoint's owner: an account id, or null for the operators. */
export type Owner = string | null;

export interface WebhookEndpoint {
  id: string;
  accountId: string | null;
  url: string;
  description: string | null;
  /** the event types it receives; ['*'] is every type */
  events: string[];
  secret: string;
  status: 'enabled' | 'disabled';
  createdAt: Date;
  deletedAt: Date | null;
}

const ENDPOINT_COLS = 'id, account_id, url, description, events, secret, status, created_at, deleted_at';

function mapEndpoint(r: Record<string, unknown>): WebhookEndpoint {
  return {
    id: r.id as string,
    accountId: (r.account_id as string | null) ?? null,
    url: r.url as string,
    description: (r.description as string | null) ?? null,
    events: r.events as string[],
    secret: r.secret as string,
    status: r.status as WebhookEndpoint['status'],
    createdAt: r.created_at as Date,
    deletedAt: (r.deleted_at as Date | null) ?? null,
  };
}

/** The owner condition on an endpoint alias: `$n` is the owner, null meaning the operators. */
const ownedBy = (alias: string, n: number) =>
  `${alias}.account_id IS NOT DISTINCT FROM $${n}::text AND ${alias}.deleted_at IS NULL`;

export async function insertEndpoint(
  q: Sql,
  e: Pick<WebhookEndpoint, 'id' | 'accountId' | 'url' | 'description' | 'events' | 'secret' | 'createdAt'>,
): Promise<WebhookEndpoint> {
  const rows = await q.query(
    `INSERT INTO webhook_endpoints (id, account_id, url, description, events, secret, status, created_at)
     VALUES ($1, $2::text, $3, $4::text, $5::text[], $6, 'enabled', $7) RETURNING ${ENDPOINT_COLS}`,
    [e.id, e.accountId, e.url, e.description, e.events, e.secret, e.createdAt],
  );
  return mapEndpoint(rows[0]!);
}

/** A live endpoint of the owner (another owner's, or a deleted one, is null). */
export async function getEndpoint(q: Sql, id: string, owner: Owner): Promise<WebhookEndpoint | null> {
  const rows = await q.query(
    `SELECT ${ENDPOINT_COLS} FROM webhook_endpoints e WHERE e.id = $1 AND ${ownedBy('e', 2)}`,
    [id, owner],
  );
  return rows[0] ? mapEndpoint(rows[0]) : null;
}

/** A page of the owner's live endpoints, newest first; a foreign cursor yields nothing. */
export async function listEndpoints(
  q: Sql,
  owner: Owner,
  page: { limit: number; startingAfter?: string },
): Promise<WebhookEndpoint[]> {
  const rows = await q.query(
    `SELECT ${ENDPOINT_COLS} FROM webhook_endpoints e
     WHERE ${ownedBy('e', 1)}
       AND ($2::text IS NULL OR (e.created_at, e.id) < (
             SELECT c.created_at, c.id FROM webhook_endpoints c WHERE c.id = $2 AND ${ownedBy('c', 1)}))
     ORDER BY e.created_at DESC, e.id DESC LIMIT $3`,
    [owner, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapEndpoint);
}

export async function countLiveEndpoints(q: Sql, owner: Owner): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM webhook_endpoints e WHERE ${ownedBy('e', 1)}`,
    [owner],
  );
  return rows[0]!.n;
}

/**
 * Deletes (softly: its deliveries stay listed in the audit trail) the owner's endpoint and fails
 * its pending deliveries, in one statement. Null when it is not the owner's or already deleted.
 */
export async function deleteEndpoint(
  q: Sql,
  id: string,
  owner: Owner,
  at: Date,
): Promise<WebhookEndpoint | null> {
  const rows = await q.query(
    `WITH gone AS (
       UPDATE webhook_endpoints e SET deleted_at = $3 WHERE e.id = $1 AND ${ownedBy('e', 2)}
       RETURNING ${ENDPOINT_COLS}),
     dropped AS (
       UPDATE webhook_deliveries d SET status = 'failed', next_attempt_at = NULL, locked_until = NULL,
         last_error = 'the endpoint was deleted'
       FROM gone WHERE d.endpoint_id = gone.id AND d.status = 'pending'
       RETURNING 1)
     SELECT gone.*, (SELECT count(*) FROM dropped) AS dropped FROM gone`,
    [id, owner, at],
  );
  return rows[0] ? mapEndpoint(rows[0]) : null;
}

/** Types an event subscription matches: '*' or the type itself. */
const MATCHES = `('*' = ANY(e.events) OR e.events && $2::text[])`;

/**
 * Whether any enabled endpoint would receive one of `types` for the account: its own or an
 * operator's. One index probe per owner (webhook_endpoints_owner_idx); fixed text, prepared.
 */
export async function hasSubscribers(q: Sql, accountId: string, types: readonly string[]): Promise<boolean> {
  const rows = await q.query<{ yes: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM webhook_endpoints e
       WHERE (e.account_id = $1::text OR e.account_id IS NULL) AND e.deleted_at IS NULL
         AND e.status = 'enabled' AND ${MATCHES}) AS yes`,
    [accountId, types],
    { prepare: true },
  );
  return rows[0]?.yes === true;
}

/** The enabled endpoints that receive any of `types` for the account (null: operators' only). */
export async function subscribedEndpoints(
  q: Sql,
  accountId: string | null,
  types: readonly string[],
): Promise<{ id: string; events: string[] }[]> {
  return q.query<{ id: string; events: string[] }>(
    `SELECT e.id, e.events FROM webhook_endpoints e
     WHERE (e.account_id = $1::text OR e.account_id IS NULL) AND e.deleted_at IS NULL
       AND e.status = 'enabled' AND ${MATCHES}
     ORDER BY e.created_at, e.id`,
    [accountId, types],
    { prepare: true },
  );
}

export interface NewEvent {
  id: string;
  accountId: string | null;
  type: string;
  /** the event's data as JSON text (exact: amounts keep their two decimals in jsonb) */
  dataJson: string;
  at: Date;
}

/** Inserts events and their deliveries (pending, due at once, retried until `retryUntil`). */
export async function insertEventsWithDeliveries(
  q: Sql,
  events: readonly NewEvent[],
  deliveries: readonly { id: string; eventId: string; endpointId: string }[],
  retryUntil: Date,
): Promise<void> {
  // built by hand so that each event's data JSON goes in as written (JSON.parse would lose 225.00)
  const eventsJson = `[${events
    .map(
      (e) =>
        `{"id":${JSON.stringify(e.id)},"account_id":${JSON.stringify(e.accountId)},"type":${JSON.stringify(
          e.type,
        )},"created_at":${JSON.stringify(e.at.toISOString())},"data":${e.dataJson}}`,
    )
    .join(',')}]`;
  await q.query(
    `WITH ev AS (
       INSERT INTO events (id, account_id, type, data, created_at)
       SELECT x.id, x.account_id, x.type, x.data, x.created_at
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, account_id text, type text, data jsonb, created_at timestamptz)
       RETURNING id, created_at)
     INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, next_attempt_at, retry_until, created_at)
     SELECT d.id, ev.id, d.endpoint_id, 'pending', 0, ev.created_at, $3::timestamptz, ev.created_at
     FROM jsonb_to_recordset($2::jsonb) AS d(id text, event_id text, endpoint_id text)
     JOIN ev ON ev.id = d.event_id`,
    [
      eventsJson,
      JSON.stringify(deliveries.map((d) => ({ id: d.id, event_id: d.eventId, endpoint_id: d.endpointId }))),
      retryUntil,
    ],
  );
}

export interface WebhookDelivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date | null;
  retryUntil: Date;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: Date | null;
  replayOf: string | null;
  createdAt: Date;
}

const DELIVERY_COLS = `d.id, d.event_id, ev.type AS event_type, d.endpoint_id, d.status, d.attempts, d.next_attempt_at,
  d.retry_until, d.last_status, d.last_error, d.delivered_at, d.replay_of, d.created_at`;

function mapDelivery(r: Record<string, unknown>): WebhookDelivery {
  return {
    id: r.id as string,
    eventId: r.event_id as string,
    eventType: r.event_type as string,
    endpointId: r.endpoint_id as string,
    status: r.status as WebhookDelivery['status'],
    attempts: r.attempts as number,
    nextAttemptAt: (r.next_attempt_at as Date | null) ?? null,
    retryUntil: r.retry_until as Date,
    lastStatus: (r.last_status as number | null) ?? null,
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: (r.delivered_at as Date | null) ?? null,
    replayOf: (r.replay_of as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/** A page of an endpoint's deliveries, newest first (the caller checked the endpoint's owner). */
export async function listDeliveries(
  q: Sql,
  endpointId: string,
  page: { limit: number; startingAfter?: string },
): Promise<WebhookDelivery[]> {
  const rows = await q.query(
    `SELECT ${DELIVERY_COLS} FROM webhook_deliveries d JOIN events ev ON ev.id = d.event_id
     WHERE d.endpoint_id = $1
       AND ($2::text IS NULL OR (d.created_at, d.id) < (
             SELECT c.created_at, c.id FROM webhook_deliveries c WHERE c.id = $2 AND c.endpoint_id = $1))
     ORDER BY d.created_at DESC, d.id DESC LIMIT $3`,
    [endpointId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapDelivery);
}

/** A delivery to one of the owner's live endpoints. */
export async function getDelivery(q: Sql, id: string, owner: Owner): Promise<WebhookDelivery | null> {
  const rows = await q.query(
    `SELECT ${DELIVERY_COLS} FROM webhook_deliveries d
       JOIN events ev ON ev.id = d.event_id
       JOIN webhook_endpoints e ON e.id = d.endpoint_id
     WHERE d.id = $1 AND ${ownedBy('e', 2)}`,
    [id, owner],
  );
  return rows[0] ? mapDelivery(rows[0]) : null;
}

/** A new pending delivery of an earlier delivery's event to the same endpoint, due at `at`. */
export async function insertReplay(
  q: Sql,
  r: { id: string; of: WebhookDelivery; at: Date; retryUntil: Date },
): Promise<WebhookDelivery> {
  const rows = await q.query(
    `WITH d AS (
       INSERT INTO webhook_deliveries (id, event_id, endpoint_id, status, attempts, next_attempt_at, retry_until,
         replay_of, created_at)
       VALUES ($1, $2, $3, 'pending', 0, $4, $5, $6, $4)
       RETURNING *)
     SELECT ${DELIVERY_COLS} FROM d JOIN events ev ON ev.id = d.event_id`,
    [r.id, r.of.eventId, r.of.endpointId, r.at, r.retryUntil, r.of.id],
  );
  return mapDelivery(rows[0]!);
}

/** A claimed delivery with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  /** attempts including the one this claim starts */
  attempts: number;
  retryUntil: Date;
  url: string;
  secret: string;
  /** false: the endpoint was deleted or disabled since the delivery was queued */
  endpointLive: boolean;
  /** the request body: the event as JSON, the same bytes on every attempt and replay */
  body: string;
}

/**
 * Claims up to `limit` due deliveries: pending, due by `now` (injected clock), and not claimed by
 * a live worker (`locked_until` before `wallNow`: a worker that died mid-send gives its rows back
 * when its claim runs out). Each claim counts an attempt and holds the row until `lockUntil`.
 * One statement: the rows are locked (SKIP LOCKED) only while it runs, then by the claim itself.
 */
export async function claimDueDeliveries(
  q: Sql,
  c: { now: Date; wallNow: Date; lockUntil: Date; limit: number },
): Promise<ClaimedDelivery[]> {
  const rows = await q.query(
    `WITH claimed AS (
       UPDATE webhook_deliveries SET locked_until = $3::timestamptz, attempts = attempts + 1
       WHERE id IN (
         SELECT id FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1::timestamptz
           AND (locked_until IS NULL OR locked_until < $2::timestamptz)
         ORDER BY next_attempt_at, id
         LIMIT $4::int4
         FOR UPDATE SKIP LOCKED)
       RETURNING id, event_id, endpoint_id, attempts, retry_until, next_attempt_at)
     SELECT c.id, c.event_id, c.endpoint_id, c.attempts, c.retry_until, e.url, e.secret,
       (e.deleted_at IS NULL AND e.status = 'enabled') AS endpoint_live,
       ev.type, ev.account_id, ev.created_at AS event_created_at, ev.data::text AS data
     FROM claimed c
       JOIN webhook_endpoints e ON e.id = c.endpoint_id
       JOIN events ev ON ev.id = c.event_id
     ORDER BY c.next_attempt_at, c.id`,
    [c.now, c.wallNow, c.lockUntil, c.limit],
  );
  return rows.map((r) => ({
    id: r.id as string,
    eventId: r.event_id as string,
    eventType: r.type as string,
    endpointId: r.endpoint_id as string,
    attempts: r.attempts as number,
    retryUntil: r.retry_until as Date,
    url: r.url as string,
    secret: r.secret as string,
    endpointLive: r.endpoint_live as boolean,
    body: eventBody({
      id: r.event_id as string,
      type: r.type as string,
      accountId: (r.account_id as string | null) ?? null,
      createdAt: r.event_created_at as Date,
      dataJson: r.data as string,
    }),
  }));
}

/**
 * The event as delivered: `{id, object: "event", type, account_id, created_at, data: {object}}`,
 * with `data.object` as PostgreSQL writes the stored jsonb (deterministic, amounts exact).
 */
function eventBody(e: {
  id: string;
  type: string;
  accountId: string | null;
  createdAt: Date;
  dataJson: string;
}): string {
  return `{"id":${JSON.stringify(e.id)},"object":"event","type":${JSON.stringify(e.type)},"account_id":${JSON.stringify(
    e.accountId,
  )},"created_at":${JSON.stringify(e.createdAt.toISOString())},"data":{"object":${e.dataJson}}}`;
}

/** The endpoint answered 2xx. Only the claim's holder (attempt number) may record it. */
export async function markDelivered(
  q: Sql,
  d: { id: string; attempts: number; status: number; at: Date },
): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $4::timestamptz, last_status = $3::int4,
       last_error = NULL, next_attempt_at = NULL, locked_until = NULL
     WHERE id = $1 AND status = 'pending' AND attempts = $2::int4`,
    [d.id, d.attempts, d.status, d.at],
  );
}

/** A failed attempt: due again at `retryAt`, or failed for good when `retryAt` is null. */
export async function markAttemptFailed(
  q: Sql,
  d: { id: string; attempts: number; status: number | null; error: string | null; retryAt: Date | null },
): Promise<void> {
  await q.query(
    `UPDATE webhook_deliveries SET
       status = CASE WHEN $5::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = $5::timestamptz, last_status = $3::int4, last_error = $4::text, locked_until = NULL
     WHERE id = $1 AND status = 'pending' AND attempts = $2::int4`,
    [d.id, d.attempts, d.status, d.error?.slice(0, 1000) ?? null, d.retryAt],
  );
}
