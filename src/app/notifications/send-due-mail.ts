/**
 * Sending the mail outbox (SPEC §9), run by the periodic job `send_mail`: due mails are claimed
 * (FOR UPDATE SKIP LOCKED, with a lock that runs out), handed to the transport, and marked sent
 * with the transport's Message-ID. A failure is tried again with exponential backoff (1 min,
 * 2 min, … up to 6 h between attempts, about 3 days in all), then the mail is `failed`; a
 * permanent refusal (SMTP 5xx) fails it at once.
 *
 * Delivery is at least once: if a worker dies after the server took a mail and before the row is
 * marked sent, the row's lock runs out and the mail is sent again, with the same Message-ID (the
 * row's id), so receivers that deduplicate by Message-ID show it once. Nothing is lost: a mail
 * leaves the outbox only as `sent` or, after every attempt, `failed` with its last error.
 */
import {
  claimDueMail,
  markMailAttemptFailed,
  markMailSent,
  type OutboxMail,
} from '../../db/mail-delivery.ts';
import { MailRejectedError } from '../../gateways/mail-transport.ts';
import type { Deps } from '../deps.ts';

export const MAIL_MAX_ATTEMPTS = 20;
/** A claimed mail is locked this long; a worker that dies leaves it to another one after it. */
const MAIL_LOCK_SECONDS = 300;
/** Mails claimed at once and handed to the transport side by side (SMTP: over its pool). */
export const MAIL_BATCH = 25;
/**
 * How long one run keeps claiming batches (wall time: the process's own work, not business time).
 * The job runs every 10 s, so a busy outbox is sent about half of the time at the transport's
 * pace, and the worker's other jobs wait at most this long behind it.
 */
export const MAIL_RUN_BUDGET_MS = 5_000;

/** Seconds before the attempt after attempt `n` (1-based): 60 · 2^(n−1), at most 6 h. */
export function mailBackoffSeconds(attempt: number): number {
  return Math.min(6 * 3600, 60 * 2 ** Math.max(0, attempt - 1));
}

export interface MailRunSummary {
  sent: number;
  retried: number;
  failed: number;
}

/**
 * Sends due mail, MAIL_BATCH at a time side by side, until the outbox has nothing due, a passing
 * failure (server down) ends the run, or the run has used its budget (`budgetMs`, default
 * MAIL_RUN_BUDGET_MS; checked between batches). `wallNow` is a test seam for that budget.
 */
export async function sendDueMail(
  deps: Deps,
  opts: { budgetMs?: number; wallNow?: () => number } = {},
): Promise<MailRunSummary> {
  const budget = opts.budgetMs ?? MAIL_RUN_BUDGET_MS;
  const wall = opts.wallNow ?? Date.now;
  const started = wall();
  const summary: MailRunSummary = { sent: 0, retried: 0, failed: 0 };
  for (;;) {
    const now = await deps.clock.now();
    const batch = await deps.db.tx((q) =>
      claimDueMail(q, now, new Date(now.getTime() + MAIL_LOCK_SECONDS * 1000), MAIL_BATCH),
    );
    const outcomes = await Promise.all(batch.map((mail) => sendOne(deps, mail)));
    for (const o of outcomes) summary[o] += 1;
    // a short claim means the outbox is drained; a passing failure (server down) ends this run
    if (batch.length < MAIL_BATCH || outcomes.includes('retried') || wall() - started >= budget) break;
  }
  return summary;
}

/** One mail to the transport, and its row marked: sent, to be retried, or failed for good. */
async function sendOne(deps: Deps, mail: OutboxMail): Promise<keyof MailRunSummary> {
  let messageId: string;
  try {
    ({ messageId } = await deps.mail.send({
      id: mail.id,
      to: mail.to,
      subject: mail.subject,
      text: mail.bodyText,
    }));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const giveUp = e instanceof MailRejectedError || mail.attempts >= MAIL_MAX_ATTEMPTS;
    const at = await deps.clock.now();
    const retryAt = giveUp ? null : new Date(at.getTime() + mailBackoffSeconds(mail.attempts) * 1000);
    await markMailAttemptFailed(deps.db, mail.id, message, retryAt);
    if (giveUp) {
      deps.log.error(
        { mailId: mail.id, kind: mail.kind, to: mail.to, attempts: mail.attempts, err: message },
        'mail failed for good',
      );
      return 'failed';
    }
    deps.log.warn(
      { mailId: mail.id, kind: mail.kind, attempt: mail.attempts, retryAt, err: message },
      'mail send failed; will retry',
    );
    return 'retried';
  }
  // if this write is lost (a crash), the row's lock runs out and the mail goes again, with the
  // same Message-ID
  await markMailSent(deps.db, mail.id, messageId, await deps.clock.now());
  deps.log.info(
    { mailId: mail.id, kind: mail.kind, to: mail.to, transport: deps.mail.name, messageId },
    'mail sent',
  );
  return 'sent';
}
