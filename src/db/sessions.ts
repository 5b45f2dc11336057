/** Console sessions (SPEC §1): stored by the sha256 of the cookie's token, never the token. */
import { type KeyPrincipal, principalColumns, principalOf } from './accounts.ts';
import type { Sql } from './client.ts';

export async function insertSession(
  q: Sql,
  s: { tokenHash: string; accountId: string; csrfToken: string; at: Date; expiresAt: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5)`,
    [s.tokenHash, s.accountId, s.csrfToken, s.at, s.expiresAt],
  );
}

/** Who a live session acts for: its account (read once per request, as for a key) and its CSRF token. */
export interface SessionPrincipal extends Omit<KeyPrincipal, 'keyId'> {
  tokenHash: string;
  csrfToken: string;
  expiresAt: Date;
}

/** The session of a cookie's token hash, when it is neither logged out nor expired at `now`; else null. */
export async function findSessionPrincipal(
  q: Sql,
  tokenHash: string,
  now: Date,
): Promise<SessionPrincipal | null> {
  const rows = await q.query(
    `SELECT s.token_hash, s.csrf_token, s.expires_at, ${principalColumns}
     FROM sessions s JOIN accounts a ON a.id = s.account_id
     WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2`,
    [tokenHash, now],
    { prepare: true },
  );
  const r = rows[0];
  if (!r) return null;
  return {
    ...principalOf(r),
    tokenHash: r.token_hash as string,
    csrfToken: r.csrf_token as string,
    expiresAt: r.expires_at as Date,
  };
}

/** Logs a session out; false when it was already logged out (or never existed). */
export async function revokeSession(q: Sql, tokenHash: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    'UPDATE sessions SET revoked_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING token_hash',
    [tokenHash, at],
  );
  return rows.length > 0;
}

/** Deletes the sessions that ended (expired or logged out) before `before`; how many went. */
export async function purgeEndedSessions(q: Sql, before: Date): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    `WITH gone AS (DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1 RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [before],
  );
  return row?.n ?? 0;
}
