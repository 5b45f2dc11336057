/**
 * Queuing a customer mail (SPEC §9) in the caller's transaction: the outbox row, its id, and the
 * recipient — the account's email, looked up when the caller does not have it.
 */
import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { enqueueMail } from '../../db/mail-outbox.ts';
import type { Deps } from '../deps.ts';

export interface Mail {
  subject: string;
  body: string;
}

/**
 * Queues `mail` of `kind` ('stock_alert', 'isp_batch_ready', …) to the account, due at `at`.
 * False when the account has gone (nothing is queued).
 */
export async function queueMail(
  q: Sql,
  deps: Pick<Deps, 'ids'>,
  to: { accountId: string; email?: string },
  kind: string,
  mail: Mail,
  at: Date,
): Promise<boolean> {
  const email = to.email ?? (await getAccount(q, to.accountId))?.email;
  if (email === undefined) return false;
  await enqueueMail(q, {
    id: deps.ids.next('mail'),
    accountId: to.accountId,
    to: email,
    kind,
    subject: mail.subject,
    bodyText: mail.body,
    at,
  });
  return true;
}
