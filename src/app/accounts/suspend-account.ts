/**
 * An operator suspends or resumes an account (SPEC §11, issue 12 item 3). A suspended account
 * can read, log in, top up and pay its arrears, but cannot order: every new order, payment of a
 * pending order, renewal and paid change is `403 account_suspended` (domain/order-gate.ts
 * accountMayOrder, checked where every order's payment passes: payments/pay-from-sources.ts and,
 * under the account's lock, payments/take-payment.ts), and gateway authorize refuses its subusers
 * (`account_suspended`, domain/traffic.ts).
 *
 * The reason, the time and the operator are recorded on the account (shown to the customer as
 * `suspended_reason` / `suspended_at`) and every change in account_status_changes. The customer
 * gets a mail on each change, queued in the same transaction. Suspending a suspended account (or
 * resuming an active one) is a no-op answered with the account as it is: 200, no second mail, the
 * first reason kept — operators' scripts may retry it freely (docs/decisions.md).
 */
import { type Account, type AccountStatus, getAccount, setAccountStatus } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { resultTx } from '../result-tx.ts';

/** The longest suspension reason (it is shown to the customer and kept for audit). */
export const MAX_SUSPENSION_REASON = 500;

export interface StatusChange {
  /** the account as it is now */
  account: Account;
  /** false when it already was in the asked state (nothing changed, no mail) */
  changed: boolean;
}

export interface SuspendAccountCommand {
  accountId: string;
  reason: string;
  /** who suspended it (admin token id, 'bootstrap' or 'cli:<user>') */
  operator: string;
}

export async function suspendAccount(deps: Deps, cmd: SuspendAccountCommand): Promise<Result<StatusChange>> {
  const reason = cmd.reason.trim();
  if (reason.length === 0 || reason.length > MAX_SUSPENSION_REASON) {
    return err('invalid_request', `reason must be 1 to ${MAX_SUSPENSION_REASON} characters, not blank`, {
      param: 'reason',
    });
  }
  return changeStatus(deps, {
    accountId: cmd.accountId,
    status: 'suspended',
    reason,
    operator: cmd.operator,
  });
}

export async function resumeAccount(
  deps: Deps,
  cmd: { accountId: string; operator: string },
): Promise<Result<StatusChange>> {
  return changeStatus(deps, {
    accountId: cmd.accountId,
    status: 'active',
    reason: null,
    operator: cmd.operator,
  });
}

async function changeStatus(
  deps: Deps,
  c: { accountId: string; status: AccountStatus; reason: string | null; operator: string },
): Promise<Result<StatusChange>> {
  const at = await deps.clock.now();
  const result = await resultTx(deps.db, async (q): Promise<Result<StatusChange>> => {
    // the conditional update is the guard: of two concurrent suspends one changes the row and
    // mails, the other (waiting on the row's lock) finds it suspended and changes nothing
    const changed = await setAccountStatus(q, { ...c, at });
    if (changed) {
      const mail = c.status === 'suspended' ? suspendedMail(changed) : resumedMail(changed);
      await queueMail(
        q,
        deps,
        { accountId: changed.id, email: changed.email },
        c.status === 'suspended' ? 'account_suspended' : 'account_resumed',
        mail,
        at,
      );
      return ok({ account: changed, changed: true });
    }
    const account = await getAccount(q, c.accountId);
    if (!account) return err('not_found', `No such account: ${c.accountId}`, { param: 'id' });
    return ok({ account, changed: false });
  });
  if (result.ok && result.value.changed) {
    deps.log.info(
      { account_id: c.accountId, status: c.status, reason: c.reason, operator: c.operator },
      c.status === 'suspended' ? 'account suspended' : 'account resumed',
    );
  }
  return result;
}

function suspendedMail(a: Account): Mail {
  return {
    subject: 'Your orderdesk account has been suspended',
    body: [
      'Hello,',
      '',
      `Your account ${a.id} (${a.email}) was suspended at ${a.suspendedAt?.toISOString()}.`,
      `Reason: ${a.suspendedReason}`,
      '',
      'While it is suspended you can still log in, read your orders, batches, servers and',
      'transactions, top up your balance and pay what you owe. New orders, paying pending',
      'orders, renewals and paid changes are refused (403 account_suspended), and your',
      "subusers' proxy traffic is refused by the gateways.",
      '',
      'Please contact support to have it resumed.',
    ].join('\n'),
  };
}

function resumedMail(a: Account): Mail {
  return {
    subject: 'Your orderdesk account has been resumed',
    body: [
      'Hello,',
      '',
      `Your account ${a.id} (${a.email}) is active again: you can order, renew and pay as before,`,
      "and your subusers' proxy traffic is accepted again.",
    ].join('\n'),
  };
}
