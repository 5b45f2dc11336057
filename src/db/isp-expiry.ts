/**
 * ISP batch expiry (SPEC §6 Expiry): the sweeper's lookups of due batches (indexed by expiry and
 * by end of grace), the once-only marks of reminders and failed auto-renewals, expiring a batch,
 * returning an expired batch's IPs to stock, and extending a renewed batch.
 */
import {
  autoRenewDueUntil,
  batchMove,
  graceUntil,
  type PendingExpiries,
  type ReminderDays,
  reminderDueWindow,
} from '../domain/batch-lifecycle.ts';
import type { Sql } from './client.ts';

const EXPIRE = batchMove(['ready'], 'expired');
const GRACE_OVER = batchMove(['expired'], 'released');
const RENEW = batchMove(['ready', 'expired'], 'ready');

/** A batch due for something, with where its mail goes. */
export interface DueBatch {
  id: string;
  accountId: string;
  email: string;
  country: string;
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  expiresAt: Date;
  graceUntil: Date | null;
}

const DUE_COLS = `b.id, b.account_id, a.email, b.country, b.city, b.asn::int8 AS asn, b.quantity, b.months,
  b.expires_at, b.grace_until`;

function mapDue(r: Record<string, unknown>): DueBatch {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    email: r.email as string,
    country: r.country as string,
    city: (r.city as string | null) ?? null,
    asn: (r.asn as number | null) ?? null,
    quantity: r.quantity as number,
    months: r.months as number,
    expiresAt: r.expires_at as Date,
    graceUntil: (r.grace_until as Date | null) ?? null,
  };
}

/**
 * Marks, and returns, up to `limit` ready batches whose `days`-before reminder is due now (the
 * window of reminderDueWindow) and not yet sent for this expiry. Call in the transaction that
 * queues the mails.
 */
export async function claimDueReminders(
  q: Sql,
  days: ReminderDays,
  now: Date,
  limit: number,
): Promise<DueBatch[]> {
  const col = days === 7 ? 'reminded_7d_at' : 'reminded_1d_at';
  const due = reminderDueWindow(days, now);
  const rows = await q.query(
    `WITH due AS MATERIALIZED (
       SELECT id FROM isp_batches
       WHERE status = 'ready' AND expires_at > $2::timestamptz AND expires_at <= $3::timestamptz
         AND ${col} IS NULL
       ORDER BY expires_at, id
       LIMIT $4::int4
       FOR UPDATE SKIP LOCKED),
     upd AS (
       UPDATE isp_batches b SET ${col} = $1::timestamptz FROM due WHERE b.id = due.id
       RETURNING b.*)
     SELECT ${DUE_COLS} FROM upd b JOIN accounts a ON a.id = b.account_id ORDER BY b.expires_at, b.id`,
    [now, due.after, due.until, limit],
  );
  return rows.map(mapDue);
}

/**
 * Ready auto-renewing batches whose renewal is due now (autoRenewDueUntil) and was not already
 * tried and declined for this expiry. Read only: the renewal itself locks the batch.
 */
export async function listDueAutoRenewals(q: Sql, now: Date, limit: number): Promise<DueBatch[]> {
  const rows = await q.query(
    `SELECT ${DUE_COLS} FROM isp_batches b JOIN accounts a ON a.id = b.account_id
     WHERE b.status = 'ready' AND b.auto_renew AND b.auto_renew_failed_at IS NULL
       AND b.expires_at <= $1::timestamptz
     ORDER BY b.expires_at, b.id
     LIMIT $2::int4`,
    [autoRenewDueUntil(now), limit],
  );
  return rows.map(mapDue);
}

/** Records a declined auto-renewal for the batch's current expiry; false if already recorded or renewed. */
export async function markAutoRenewFailed(q: Sql, id: string, expiresAt: Date, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE isp_batches SET auto_renew_failed_at = $3::timestamptz, updated_at = $3::timestamptz
     WHERE id = $1::text AND expires_at = $2::timestamptz AND auto_renew_failed_at IS NULL RETURNING id`,
    [id, expiresAt, at],
  );
  return rows.length === 1;
}

/**
 * Expires, and returns, up to `limit` ready batches at or past their expiry: status 'expired',
 * grace until graceUntil(expires_at). The IPs stay with the batch during the grace period.
 */
export async function expireDueBatches(q: Sql, now: Date, limit: number): Promise<DueBatch[]> {
  const due = await q.query<{ id: string; expires_at: Date }>(
    `SELECT id, expires_at FROM isp_batches
     WHERE status = ANY($2::text[]) AND expires_at <= $1::timestamptz
     ORDER BY expires_at, id
     LIMIT $3::int4
     FOR UPDATE SKIP LOCKED`,
    [now, EXPIRE.from, limit],
  );
  if (due.length === 0) return [];
  const rows = await q.query(
    `WITH upd AS (
       UPDATE isp_batches b SET status = $2::text, grace_until = u.grace_until, updated_at = $1::timestamptz
       FROM unnest($3::text[], $4::timestamptz[]) AS u(id, grace_until) WHERE b.id = u.id
       RETURNING b.*)
     SELECT ${DUE_COLS} FROM upd b JOIN accounts a ON a.id = b.account_id ORDER BY b.expires_at, b.id`,
    [now, EXPIRE.to, due.map((d) => d.id), due.map((d) => graceUntil(d.expires_at).toISOString())],
  );
  return rows.map(mapDue);
}

/** Expired batches whose grace period is over (ids, oldest first). */
export async function listGraceOver(
  q: Sql,
  now: Date,
  limit: number,
): Promise<{ id: string; country: string }[]> {
  return q.query<{ id: string; country: string }>(
    `SELECT id, country FROM isp_batches
     WHERE status = 'expired' AND grace_until <= $1::timestamptz
     ORDER BY grace_until, id LIMIT $2::int4`,
    [now, limit],
  );
}

/**
 * An expired batch whose grace is over is released: its live IPs go back to stock (release reason
 * 'expired'). Returns how many IPs went back, or null when the batch is not expired-and-over
 * (renewed or released meanwhile).
 */
export async function releaseExpiredBatch(q: Sql, id: string, at: Date): Promise<number | null> {
  const rows = await q.query<{ id: string; n: number }>(
    `WITH bat AS (
       UPDATE isp_batches SET status = $4::text, released_at = $2::timestamptz, updated_at = $2::timestamptz
       WHERE id = $1::text AND status = ANY($3::text[]) AND grace_until <= $2::timestamptz RETURNING id),
     links AS (
       UPDATE isp_batch_ips SET released_at = $2::timestamptz, release_reason = 'expired'
       WHERE batch_id = (SELECT id FROM bat) AND released_at IS NULL RETURNING ip_id),
     ips AS (
       UPDATE isp_ips SET status = 'available', batch_id = NULL, updated_at = $2::timestamptz
       WHERE id IN (SELECT ip_id FROM links) AND batch_id = $1::text AND status = 'allocated' RETURNING 1)
     SELECT id, (SELECT count(*) FROM ips)::int8 AS n FROM bat`,
    [id, at, GRACE_OVER.from, GRACE_OVER.to],
  );
  return rows[0] ? rows[0].n : null;
}

/**
 * A renewed batch: ready again (an expired one keeps its IPs), expiring at `newExpiresAt`, its
 * grace, reminders and auto-renew failure cleared for the new expiry. Only if the batch is still
 * renewable and still expires at `oldExpiresAt` (nobody renewed it meanwhile); false otherwise.
 */
export async function extendBatch(
  q: Sql,
  id: string,
  s: { oldExpiresAt: Date; newExpiresAt: Date; at: Date },
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE isp_batches SET status = $6::text, expires_at = $3::timestamptz, grace_until = NULL,
       reminded_7d_at = NULL, reminded_1d_at = NULL, auto_renew_failed_at = NULL, updated_at = $4::timestamptz
     WHERE id = $1::text AND expires_at = $2::timestamptz AND status = ANY($5::text[])
       AND (status <> 'expired' OR grace_until > $4::timestamptz)
     RETURNING id`,
    [id, s.oldExpiresAt, s.newExpiresAt, s.at, RENEW.from, RENEW.to],
  );
  return rows.length === 1;
}

/** The earliest expiry still to be acted on per action, past the bounds (pendingExpiryBounds). */
export async function pendingExpiries(
  q: Sql,
  after: Record<keyof PendingExpiries, Date>,
): Promise<PendingExpiries> {
  const rows = await q.query<Record<string, Date | null>>(
    `SELECT
       (SELECT min(expires_at) FROM isp_batches
        WHERE status = 'ready' AND reminded_7d_at IS NULL AND expires_at > $1::timestamptz) AS remind7,
       (SELECT min(expires_at) FROM isp_batches
        WHERE status = 'ready' AND reminded_1d_at IS NULL AND expires_at > $2::timestamptz) AS remind1,
       (SELECT min(expires_at) FROM isp_batches
        WHERE status = 'ready' AND auto_renew AND auto_renew_failed_at IS NULL
          AND expires_at > $3::timestamptz) AS auto_renew,
       (SELECT min(expires_at) FROM isp_batches
        WHERE status = 'ready' AND expires_at > $4::timestamptz) AS expire,
       (SELECT min(grace_until) FROM isp_batches
        WHERE status = 'expired' AND grace_until > $5::timestamptz) AS grace_over`,
    [after.remind7, after.remind1, after.autoRenew, after.expire, after.graceOver],
  );
  const r = rows[0] ?? {};
  return {
    remind7: r.remind7 ?? null,
    remind1: r.remind1 ?? null,
    autoRenew: r.auto_renew ?? null,
    expire: r.expire ?? null,
    graceOver: r.grace_over ?? null,
  };
}
