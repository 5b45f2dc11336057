/** Checks that stop an account from ordering a product at all, whatever it pays with (SPEC §2). */
import { err, ok, type Result } from './errors.ts';

/** Mobile and ISP orders (and servers) need an approved KYC; residential does not. */
function needsKyc(product: string): boolean {
  return product !== 'residential';
}

/**
 * A suspended account (SPEC §11) reads but does not order: no new order of any product, no payment
 * of a pending order, no renewal or paid change. Checked before anything is priced or charged
 * (orderGate, payFromSources) and again under the account's lock where the money is taken
 * (takePayment), so an operator's suspension between the two still refuses the payment.
 */
export function accountMayOrder(account: { status: string }): Result<void> {
  if (account.status === 'active') return ok(undefined);
  return err(
    'account_suspended',
    'This account is suspended: it can read, top up and pay its arrears, but not order or pay for orders until an operator resumes it',
  );
}

export function orderGate(account: { status: string; kycStatus: string }, product: string): Result<void> {
  const open = accountMayOrder(account);
  if (!open.ok) return open;
  if (needsKyc(product) && account.kycStatus !== 'approved') {
    return err('kyc_required', `ordering ${product} needs an approved KYC verification (POST /v1/kyc)`);
  }
  return ok(undefined);
}
