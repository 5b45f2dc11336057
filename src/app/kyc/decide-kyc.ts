/**
 * An operator's KYC decision (SPEC §2, §11): approve or reject. A pending submission gets the
 * decision and its reason. An operator may also decide for an account with no submission under
 * review — approving a customer verified another way, rejecting a resubmission-worthy account,
 * or revoking an approval — which changes the account's status only. Deciding what the account
 * already is (approved twice) is 409 invalid_state. The customer gets a mail with the decision
 * (and the reason of a rejection), queued in the decision's transaction (SPEC §9).
 */
import { type Account, decideLatestKycSubmission, getAccount, setKycStatus } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { resultTx } from '../result-tx.ts';

export type KycDecision = 'approved' | 'rejected';

export interface DecideKycCommand {
  accountId: string;
  decision: KycDecision;
  reason?: string | null;
  /** who decided (admin token id, 'bootstrap' or 'cli:<user>') */
  operator: string;
}

export async function decideKyc(deps: Deps, cmd: DecideKycCommand): Promise<Result<Account>> {
  const at = await deps.clock.now();
  const reason = cmd.reason?.trim() || null;
  const result = await resultTx(deps.db, async (q): Promise<Result<Account>> => {
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`, { param: 'id' });
    if (account.kycStatus === cmd.decision) {
      return err('invalid_state', `KYC is already ${cmd.decision}`, { param: 'decision' });
    }
    if (account.kycStatus === 'pending') {
      await decideLatestKycSubmission(q, account.id, cmd.decision, reason, at);
    }
    await setKycStatus(q, account.id, cmd.decision, at);
    await queueMail(
      q,
      deps,
      { accountId: account.id, email: account.email },
      `kyc_${cmd.decision}`,
      kycMail(cmd.decision, reason),
      at,
    );
    return ok({ ...account, kycStatus: cmd.decision, updatedAt: at });
  });
  if (result.ok) {
    deps.log.info(
      { account_id: cmd.accountId, decision: cmd.decision, reason, operator: cmd.operator },
      'kyc decided',
    );
  }
  return result;
}

function kycMail(decision: KycDecision, reason: string | null): Mail {
  if (decision === 'approved') {
    return {
      subject: 'Your identity verification (KYC) is approved',
      body: [
        'Hello,',
        '',
        'Your identity verification (KYC) has been approved.',
        'You can now order ISP static IPs and servers in the console or through the API.',
      ].join('\n'),
    };
  }
  return {
    subject: 'Your identity verification (KYC) was not approved',
    body: [
      'Hello,',
      '',
      'Your identity verification (KYC) was not approved.',
      `Reason: ${reason ?? 'none given'}`,
      '',
      'You can correct your details and submit again in the console (KYC) or with POST /v1/kyc.',
    ].join('\n'),
  };
}
