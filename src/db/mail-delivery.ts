/**
 * Sending the mail outbox (SPEC §9): due rows are claimed with FOR UPDATE SKIP LOCKED (so any
 * number of workers share them and none sends a row another one holds), then marked sent, or
 * put back with a later attempt time, or failed for good. Queuing a mail is mail-outbox.ts.
 */
import type { Sql } from './client.ts';

export interface OutboxMail {
  id: string;
  accountId: string | null;
  to: string;
  kind: string;
  subject: string;
  bodyText: string;
  /** attempts including the one this claim starts */
  attempts: number;
  createdAt: Date;
}

/**
 * Claims up to `limit` due mails: pending ones whose attempt time has come, and `sending` ones
 * whose lock ran out (a worker died between claiming and marking them). Each claim counts an
 * attempt and locks the row until `lockUntil`.
 */
export async function claimDueMail(q: Sql, now: Date, lockUntil: Date, limit: number): Promise<OutboxMail[]> {
  const rows = await q.query<{
    id: string;
    account_id: string | null;
    to_address: string;
    kind: string;
    subject: string;
    body_text: string;
    attempts: number;
    created_at: Date;
  }>(
    `UPDATE mail_outbox SET status = 'sending', locked_until = $2::timestamptz, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM mail_outbox
       WHERE (status = 'pending' AND next_attempt_at <= $1::timestamptz)
          OR (status = 'sending' AND locked_until < $1::timestamptz)
       ORDER BY next_attempt_at, id
       LIMIT $3::int4
       FOR UPDATE SKIP LOCKED)
     RETURNING id, account_id, to_address, kind, subject, body_text, attempts, created_at`,
    [now, lockUntil, limit],
  );
  return rows
    .map((r) => ({
      id: r.id,
      accountId: r.account_id ?? null,
      to: r.to_address,
      kind: r.kind,
      subject: r.subject,
      bodyText: r.body_text,
      attempts: r.attempts,
      createdAt: r.created_at,
    }))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1));
}

/** The transport took the mail. */
export async function markMailSent(q: Sql, id: string, messageId: string, at: Date): Promise<void> {
  await q.query(
    `UPDATE mail_outbox SET status = 'sent', message_id = $2::text, sent_at = $3::timestamptz,
       locked_until = NULL, last_error = NULL
     WHERE id = $1::text AND status = 'sending'`,
    [id, messageId, at],
  );
}

/** A failed attempt: tried again at `retryAt`, or, with retryAt null, failed for good. */
export async function markMailAttemptFailed(
  q: Sql,
  id: string,
  error: string,
  retryAt: Date | null,
): Promise<void> {
  await q.query(
    `UPDATE mail_outbox SET
       status = CASE WHEN $3::timestamptz IS NULL THEN 'failed' ELSE 'pending' END,
       next_attempt_at = COALESCE($3::timestamptz, next_attempt_at),
       last_error = $2::text, locked_until = NULL
     WHERE id = $1::text AND status = 'sending'`,
    [id, error.slice(0, 2000), retryAt],
  );
}

export interface OutboxRow {
  id: string;
  to: string;
  kind: string;
  subject: string;
  bodyText: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  messageId: string | null;
  sentAt: Date | null;
}
