/**
 * POST /v1/kyc (SPEC §2): a customer submits legal name, country and a document reference; the
 * account goes to `pending` until an operator decides (decide-kyc.ts). One submission is under
 * review at a time; after a rejection the customer may submit again; approved is final.
 */
import { getAccount, insertKycSubmission, setKycStatus } from '../../db/accounts.ts';
import { normalizeCountry } from '../../domain/country.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { findKyc, type KycState } from '../accounts/find-account.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

export interface SubmitKycCommand {
  accountId: string;
  legalName: string;
  country: string;
  documentReference: string;
}

export async function submitKyc(deps: Deps, cmd: SubmitKycCommand): Promise<Result<KycState>> {
  const legalName = cmd.legalName.trim();
  if (!legalName) return err('invalid_request', 'legal_name must not be blank', { param: 'legal_name' });
  const documentReference = cmd.documentReference.trim();
  if (!documentReference) {
    return err('invalid_request', 'document_reference must not be blank', { param: 'document_reference' });
  }
  const country = normalizeCountry(cmd.country);
  if (!country) {
    return err(
      'invalid_request',
      `country must be an ISO 3166-1 alpha-2 code (e.g. "us", "gb"), got "${cmd.country}"`,
      {
        param: 'country',
      },
    );
  }
  const at = await deps.clock.now();
  const result = await resultTx(deps.db, async (q): Promise<Result<null>> => {
    // the row lock serializes two submissions racing for the same account
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`);
    if (account.kycStatus === 'pending') {
      return err('invalid_state', 'A KYC submission is already under review');
    }
    if (account.kycStatus === 'approved') return err('invalid_state', 'KYC is already approved');
    await insertKycSubmission(q, {
      id: deps.ids.next('kyc'),
      accountId: account.id,
      legalName,
      country,
      documentReference,
      at,
    });
    await setKycStatus(q, account.id, 'pending', at);
    return ok(null);
  });
  if (!result.ok) return result;
  return findKyc(deps, cmd.accountId);
}
