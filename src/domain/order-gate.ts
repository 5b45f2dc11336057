/** Checks that stop an account from ordering a product at all, whatever it pays with (SPEC §2). */
import { err, ok, type Result } from './errors.ts';

/** Mobile and ISP orders (and servers) need an approved KYC; residential does not. */
function needsKyc(product: string): boolean {
  return product !== 'residential';
}

export function orderGate(account: { status: string; kycStatus: string }, product: string): Result<void> {
  if (account.status !== 'active') return err('forbidden', 'this account is suspended');
  if (needsKyc(product) && account.kycStatus !== 'approved') {
    return err('kyc_required', `ordering ${product} needs an approved KYC verification (POST /v1/kyc)`);
  }
  return ok(undefined);
}
