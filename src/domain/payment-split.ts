/**
 * How an order's payable is paid, and whether it may be ordered at all (SPEC §5, "Sources, in
 * order" and "Balance rules at ordering"). Pure: balances, vouchers and the threshold come in as
 * arguments.
 */
import type { BillingAttributes } from './billing-attributes.ts';
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
 * Used for prepaid payments: the arrears it covers are checkBalanceRule's `arrearsToCover` for a
 * prepaid order (both arrearsOf); postpaid products with arrears are refused by checkBalanceRule.
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
  const arrearsCovered = arrearsOf(balance);
  const fromCard = sum([rest, -fromBalance, arrearsCovered]);
  return { fromVoucher, fromBalance, fromCard, arrearsCovered };
}

export type { BillingAttributes, Configuration, PaymentMode, Settlement } from './billing-attributes.ts';

/** The spec's default balance threshold: 100.00 (config: ORDERDESK_BALANCE_THRESHOLD_CENTS). */
export const DEFAULT_BALANCE_THRESHOLD: Cents = 10_000;

/** The arrears a balance carries: −balance when it is negative, else 0. */
export function arrearsOf(balance: Cents): Cents {
  return balance < 0 ? -balance : 0;
}

/** What an order that passes the balance rules must also do. */
export interface BalanceRuleOk {
  /** arrears the order's payment must pay off too (prepaid only; postpaid refuses arrears) */
  arrearsToCover: Cents;
}

/**
 * The balance rules at ordering (SPEC §5; the billing-center document's 下单余额限制), one function:
 * - prepaid: ok; the payment also covers the arrears (`arrearsToCover`, what splitPayment's
 *   `arrearsCovered` pays).
 * - postpaid, any settlement: arrears → `arrears_outstanding`.
 * - postpaid settled hourly or daily with a periodic configuration: also max(balance, 0) + usable
 *   vouchers ≥ threshold, else `balance_below_threshold`. Metered, or settled monthly: nothing more.
 * Error details are in cents (`arrears_cents`, …); the API shows them as `*_usd`.
 */
export function checkBalanceRule(
  input: BillingAttributes & { balance: Cents; usableVouchers: Cents; threshold: Cents },
): Result<BalanceRuleOk> {
  const { balance, usableVouchers, threshold } = input;
  if (!Number.isSafeInteger(balance)) throw new MoneyError(`balance must be a safe integer, got ${balance}`);
  assertNonNegative(usableVouchers, 'usable vouchers');
  assertNonNegative(threshold, 'threshold');
  const arrears = arrearsOf(balance);
  if (input.paymentMode === 'prepaid') return ok({ arrearsToCover: arrears });

  const { settlement, configuration } = input;
  if (arrears > 0) {
    return err(
      'arrears_outstanding',
      `clear the outstanding arrears before ordering a postpaid product settled ${settlement}`,
      { detail: { arrears_cents: arrears } },
    );
  }
  if (settlement !== 'monthly' && configuration === 'periodic') {
    const available = sum([balance, usableVouchers]);
    if (available < threshold) {
      return err(
        'balance_below_threshold',
        `a postpaid ${configuration} product settled ${settlement} needs available balance plus usable vouchers of at least the threshold`,
        { detail: { available_cents: available, threshold_cents: threshold } },
      );
    }
  }
  return ok({ arrearsToCover: 0 });
}
