/**
 * The balance rules at ordering (SPEC §5) for one account and product: reads the account's
 * balance and its usable vouchers and applies domain/payment-split.ts checkBalanceRule with the
 * configured threshold (ORDERDESK_BALANCE_THRESHOLD_CENTS, 100.00 by default).
 *
 * - prepaid: ok, with the arrears the order's payment must cover too (every prepaid payment path
 *   already pays them: splitPayment's `arrearsCovered`);
 * - postpaid: `409 arrears_outstanding`, and for hourly / daily periodic products
 *   `409 balance_below_threshold` unless balance + usable vouchers ≥ the threshold.
 *
 * Usable vouchers: the account's vouchers that are active at `now` (something remains, not
 * expired) and may pay for the product. Postpaid orders (servers) call this before they are
 * written; inside their own transaction they pass `q` and `lock` so the account row is held.
 */
import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { listVouchers } from '../../db/vouchers.ts';
import {
  type BillingAttributes,
  billingAttributes,
  type PaymentMode,
} from '../../domain/billing-attributes.ts';
import { err, type Result } from '../../domain/errors.ts';
import { type Cents, sum } from '../../domain/money.ts';
import { type BalanceRuleOk, checkBalanceRule } from '../../domain/payment-split.ts';
import type { Product } from '../../domain/products.ts';
import type { Deps } from '../deps.ts';

const PAGE = 100;

export interface CheckOrderBalanceInput {
  accountId: string;
  product: Product;
  /** a payment mode (its attributes come from the catalog), or explicit attributes */
  billing: PaymentMode | BillingAttributes;
  /** the query runner (a transaction's); deps.db when omitted */
  q?: Sql;
  /** read the account FOR UPDATE (inside the caller's transaction) */
  lock?: boolean;
  /**
   * when the vouchers are judged: the caller's now (a use-case reads the clock once, outside its
   * transaction; the database test clock reads through deps.db, which on PGlite waits for the
   * caller's transaction)
   */
  now: Date;
}

export async function checkOrderBalance(
  deps: Pick<Deps, 'db' | 'config'>,
  input: CheckOrderBalanceInput,
): Promise<Result<BalanceRuleOk>> {
  const attributes =
    typeof input.billing === 'string' ? billingAttributes(input.product, input.billing) : input.billing;
  if (!attributes) {
    return err('invalid_request', `${input.product} cannot be ordered ${String(input.billing)}`, {
      param: 'payment_mode',
    });
  }
  const q = input.q ?? deps.db;
  const account = await getAccount(q, input.accountId, { forUpdate: input.lock === true });
  if (!account) return err('not_found', 'no such account');
  // prepaid ignores vouchers at this step (they are planned with the payment)
  const usableVouchers =
    attributes.paymentMode === 'prepaid'
      ? 0
      : await usableVoucherCents(q, input.accountId, input.product, input.now);
  return checkBalanceRule({
    ...attributes,
    balance: account.balanceCents,
    usableVouchers,
    threshold: deps.config.balanceThresholdCents,
  });
}

/** What the account's active vouchers that may pay for `product` have left, summed. */
export async function usableVoucherCents(
  q: Sql,
  accountId: string,
  product: Product,
  now: Date,
): Promise<Cents> {
  const amounts: Cents[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await listVouchers(q, accountId, {
      limit: PAGE,
      status: 'active',
      now,
      ...(startingAfter ? { startingAfter } : {}),
    });
    for (const v of page) {
      if (v.products === null || v.products.includes(product)) amounts.push(v.remainingCents);
    }
    if (page.length < PAGE) return sum(amounts);
    startingAfter = page[page.length - 1]!.id;
  }
}
