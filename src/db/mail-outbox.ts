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
  await enqueueMails(q, [m]);
}

/** Queues several mails in one statement (a periodic job's batch): each pending, due at its `at`. */
export async function enqueueMails(q: Sql, mails: readonly NewMail[]): Promise<void> {
  if (mails.length === 0) return;
  await q.query(
    `INSERT INTO mail_outbox (id, account_id, to_address, kind, subject, body_text, status, next_attempt_at, created_at)
     SELECT m.id, m.account_id, m.to_address, m.kind, m.subject, m.body_text, 'pending', m.at, m.at
     FROM jsonb_to_recordset($1::jsonb) AS m(id text, account_id text, to_address text, kind text, subject text,
       body_text text, at timestamptz)`,
    [
      JSON.stringify(
        mails.map((m) => ({
          id: m.id,
          account_id: m.accountId,
          to_address: m.to,
          kind: m.kind,
          subject: m.subject,
          body_text: m.bodyText,
          at: m.at.toISOString(),
        })),
      ),
    ],
    { prepare: true },
  );
}
