/**
 * How an order's payable is paid, and whether it may be ordered at all (SPEC §5, "Sources, in
 * order" and "Balance rules at ordering"). Pure: balances, vouchers and the threshold come in as
 * arguments.
 */
import { err, ok, type Result } from './errors.ts';
import { type Cents, MoneyError, max, min, sum } from './money.ts';

export interface PaymentSplit {
  fromVoucher: Cents;
  fromBalance: Cents;
  fromCard: Cents;
  /** arrears (−balance when the balance is negative) paid off by the card with this payment */
  arrearsCovered: Cents;
}

function assertNonNegative(n: Cents, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new MoneyError(`${what} must be a non-negative safe integer, got ${n}`);
  }
}

/**
 * Vouchers first (up to the payable), then the positive balance, then the card for the rest.
 * A negative balance (arrears) is covered by the card too, so after the payment the balance is
 * ≥ 0. Invariant: fromVoucher + fromBalance + fromCard = payable + arrearsCovered.
 * Used for prepaid payments; postpaid products with arrears are refused by checkBalanceRule.
 */
export function splitPayment(input: {
  payable: Cents;
  balance: Cents;
  voucherAvailable?: Cents;
}): PaymentSplit {
  const { payable, balance, voucherAvailable = 0 } = input;
  assertNonNegative(payable, 'payable');
  assertNonNegative(voucherAvailable, 'voucher available');
  if (!Number.isSafeInteger(balance)) throw new MoneyError(`balance must be a safe integer, got ${balance}`);

  const fromVoucher = min(voucherAvailable, payable);
  const rest = payable - fromVoucher;
  const fromBalance = min(max(balance, 0), rest);
  const arrearsCovered = balance < 0 ? -balance : 0;
  const fromCard = sum([rest, -fromBalance, arrearsCovered]);
  return { fromVoucher, fromBalance, fromCard, arrearsCovered };
}

export type PaymentMode = 'prepaid' | 'postpaid';
export type Settlement = 'monthly' | 'daily' | 'hourly';
export type Configuration = 'metered' | 'periodic';

/** The spec's default balance threshold: 100.00. */
export const DEFAULT_BALANCE_THRESHOLD: Cents = 10_000;

/**
 * Balance rules at ordering:
 * - prepaid: ok; the payment covers any arrears too (see splitPayment).
 * - postpaid (any settlement; monthly when not given): a negative balance is arrears_outstanding.
 * - postpaid hourly/daily with a periodic configuration: also max(balance, 0) + usableVouchers
 *   ≥ threshold, else balance_below_threshold. Metered (or no configuration) needs nothing more.
 */
export function checkBalanceRule(input: {
  paymentMode: PaymentMode;
  settlement?: Settlement;
  configuration?: Configuration;
  balance: Cents;
  usableVouchers: Cents;
  threshold: Cents;
}): Result<void> {
  const { paymentMode, settlement = 'monthly', configuration, balance, usableVouchers, threshold } = input;
  if (paymentMode === 'prepaid') return ok(undefined);

  if (balance < 0) {
    return err(
      'arrears_outstanding',
      `clear the outstanding arrears before ordering a postpaid product settled ${settlement}`,
      { detail: { arrears_cents: -balance } },
    );
  }

  if ((settlement === 'hourly' || settlement === 'daily') && configuration === 'periodic') {
    const available = sum([max(balance, 0), usableVouchers]);
    if (available < threshold) {
      return err('balance_below_threshold', 'available balance plus usable vouchers is below the threshold', {
        detail: { available_cents: available, threshold_cents: threshold },
      });
    }
  }
  return ok(undefined);
}
