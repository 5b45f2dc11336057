/**
 * Idempotency keys (SPEC §1): one row per (account scope, key) behind the primary key. A request
 * claims the key (state 'running' with a lease), runs, and stores its status and body ('done').
 * The use-case links the resource it created inside its own transaction (attachResource), so a
 * crash between the effect and the stored response is recoverable from the resource.
 */
import type { Sql } from './client.ts';

export interface IdempotencyRow {
  requestHash: string;
  state: 'running' | 'done';
  lockedUntil: Date;
  resourceType: string | null;
  resourceId: string | null;
  statusCode: number | null;
  responseBody: string | null;
  createdAt: Date;
}

function mapRow(r: Record<string, unknown>): IdempotencyRow {
  return {
    requestHash: r.request_hash as string,
    state: r.state as IdempotencyRow['state'],
    lockedUntil: r.locked_until as Date,
    resourceType: (r.resource_type as string | null) ?? null,
    resourceId: (r.resource_id as string | null) ?? null,
    statusCode: (r.status_code as number | null) ?? null,
    responseBody: (r.response_body as string | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

/** Claims the key; returns true when this request now owns it. */
export async function claimKey(
  q: Sql,
  k: { scope: string; key: string; requestHash: string; now: Date; leaseUntil: Date; expiredBefore: Date },
): Promise<boolean> {
  // a key older than the retention window is forgotten, then claimed afresh
  await q.query('DELETE FROM idempotency_keys WHERE account_scope = $1 AND key = $2 AND created_at < $3', [
    k.scope,
    k.key,
    k.expiredBefore,
  ]);
  const rows = await q.query(
    `INSERT INTO idempotency_keys (account_scope, key, request_hash, state, locked_until, created_at)
     VALUES ($1, $2, $3, 'running', $4, $5) ON CONFLICT (account_scope, key) DO NOTHING RETURNING key`,
    [k.scope, k.key, k.requestHash, k.leaseUntil, k.now],
  );
  return rows.length === 1;
}

/**
 * Whether `e` is the failure of a statement that recorded a key (ledger.ts KeyRecord) because
 * another request recorded or claimed the same key first: the key's primary key refused it.
 */
export function isKeyTaken(e: unknown): boolean {
  const err = e as { code?: unknown; constraint?: unknown } | null;
  return (
    err?.code === '23505' && (err.constraint === undefined || err.constraint === 'idempotency_keys_pkey')
  );
}

export async function readKey(q: Sql, scope: string, key: string): Promise<IdempotencyRow | null> {
  const rows = await q.query(
    `SELECT request_hash, state, locked_until, resource_type, resource_id, status_code, response_body, created_at
     FROM idempotency_keys WHERE account_scope = $1 AND key = $2`,
    [scope, key],
  );
  return rows[0] ? mapRow(rows[0]) : null;
}

/**
 * Takes over a running key whose lease ran out by `now` (its request died); true when this one
 * won. The lease test is in the UPDATE itself, so of two racing takers only the first matches (the
 * second re-checks the row after the first's update and finds a live lease).
 */
export async function takeOverKey(q: Sql, scope: string, key: string, now: Date, leaseUntil: Date) {
  const rows = await q.query(
    `UPDATE idempotency_keys SET locked_until = $4
     WHERE account_scope = $1 AND key = $2 AND state = 'running' AND locked_until <= $3 RETURNING key`,
    [scope, key, now, leaseUntil],
  );
  return rows.length === 1;
}

export async function attachResource(q: Sql, scope: string, key: string, type: string, id: string) {
  await q.query(
    'UPDATE idempotency_keys SET resource_type = $3, resource_id = $4 WHERE account_scope = $1 AND key = $2',
    [scope, key, type, id],
  );
}

export async function completeKey(q: Sql, scope: string, key: string, statusCode: number, body: string) {
  await q.query(
    `UPDATE idempotency_keys SET state = 'done', status_code = $3, response_body = $4
     WHERE account_scope = $1 AND key = $2`,
    [scope, key, statusCode, body],
  );
}

/**
 * Gives a running key up (its request failed or did nothing). A key whose request already linked
 * the resource it made (attachResource, in the use-case's committed transaction) is not deleted:
 * its lease is expired instead, so the retry takes it over and answers with that resource rather
 * than making a second one.
 */
export async function releaseKey(q: Sql, scope: string, key: string) {
  await q.query(
    `WITH gone AS (
       DELETE FROM idempotency_keys
       WHERE account_scope = $1 AND key = $2 AND state = 'running' AND resource_id IS NULL RETURNING 1)
     UPDATE idempotency_keys SET locked_until = 'epoch'::timestamptz
     WHERE account_scope = $1 AND key = $2 AND state = 'running' AND resource_id IS NOT NULL`,
    [scope, key],
  );
}

/**
 * The server secret named `name` (server_secrets): the stored one, or `candidate` when there was
 * none. Two statements on purpose: of processes racing to create it, the losers' INSERT does
 * nothing and their SELECT (a new snapshot, after the winner committed) reads the winner's.
 */
export async function serverSecret(q: Sql, name: string, candidate: string): Promise<string> {
  await q.query('INSERT INTO server_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [
    name,
    candidate,
  ]);
  const rows = await q.query<{ secret: string }>('SELECT secret FROM server_secrets WHERE name = $1', [name]);
  if (!rows[0]) throw new Error(`server secret ${name} is missing`);
  return rows[0].secret;
}

export async function purgeKeysOlderThan(q: Sql, before: Date): Promise<number> {
  const rows = await q.query('DELETE FROM idempotency_keys WHERE created_at < $1 RETURNING key', [before]);
  return rows.length;
}
