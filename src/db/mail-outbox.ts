/**
 * The mail outbox (SPEC §9): a mail is a row written in the same transaction as its cause, and
 * the mail worker sends the pending rows (retries, nothing lost on a restart).
 */
import type { Sql } from './client.ts';

export interface NewMail {
  /** the row's id (deps.ids.next('mail')); the transport uses it as the Message-ID */
  id: string;
  accountId: string | null;
  to: string;
  /** what the mail is about: 'stock_alert', 'isp_batch_ready', ... */
  kind: string;
  subject: string;
  bodyText: string;
  /** now: the mail is due at once */
  at: Date;
}

/** Queues a mail: status pending, due now. */
export async function enqueueMail(q: Sql, m: NewMail): Promise<void> {
  await q.query(
    `INSERT INTO mail_outbox (id, account_id, to_address, kind, subject, body_text, status, next_attempt_at, created_at)
     VALUES ($1, $2::text, $3, $4, $5, $6, 'pending', $7::timestamptz, $7::timestamptz)`,
    [m.id, m.accountId, m.to, m.kind, m.subject, m.bodyText, m.at],
  );
}
