/**
 * Paying an order from its sources, in order (SPEC §5): the vouchers named, then the balance, then
 * the default card for the rest. One function for pay now (bandwidth and ISP orders, renewals) and
 * for paying an order placed with `"pay": "later"`. The card part goes through
 * charge-then-settle.ts (intent, charge, settle, crash recovery); the payment's draft carries the
 * voucher ids (and `pay_later`) so the recovery job settles exactly as the request would have.
 */
import { type Account, getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { getPaymentMethod, type PaymentMethod } from '../../db/payments.ts';
import { type DomainError, err, ok, type Result } from '../../domain/errors.ts';
import type { Cents } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import { accountMayOrder } from '../../domain/order-gate.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { chargeThenSettle } from './charge-then-settle.ts';
import { earlierOrderForKey } from './earlier-order-for-key.ts';
import { estimatePayment, type SettleInput, type SourceSettler } from './take-payment.ts';

/** The account's default card, or the error an order gets when the rest cannot be charged. */
async function defaultCard(deps: Deps, account: Account, shortCents: Cents): Promise<Result<PaymentMethod>> {
  const pm = account.defaultPaymentMethodId
    ? await getPaymentMethod(deps.db, account.defaultPaymentMethodId, account.id)
    : null;
  if (!pm) {
    return err(
      'insufficient_balance',
      'The balance does not cover this order and there is no default payment method',
      { detail: { decline_code: 'no_payment_method', balance_short_usd_cents: shortCents } },
    );
  }
  return ok(pm);
}

export interface PayFromSources {
  accountId: string;
  /** the account as read by the request (a fresh read is made when the balance moved) */
  account?: Account;
  order: Order;
  vouchers: readonly string[];
  now: Date;
  idem: IdempotencyLink | undefined;
  /** the payment's draft, for crash recovery; the voucher ids and the key are added */
  draft: Record<string, unknown>;
  /** runs after the card is known and before it is charged (ISP: the stock) */
  check?: () => Promise<Result<void>>;
  /** see CardCharge.reserve: runs with the intent's insert (pay later: the order's lock) */
  reserve?: (q: Sql) => Promise<Result<void>>;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

/** How many times one request decides again after the balance moved under it (see payFromSources). */
const ATTEMPTS = 3;

/**
 * Pays an order from its sources (SPEC §5): when the vouchers and the balance cover it, in one
 * transaction (`settle(q, null)`, whose conditional decrements are the guards); otherwise the rest
 * by the default card (chargeRest). When the balance moved under the paying transaction (another
 * order of the account paid first: `balance_changed`, and a card charged for this one already
 * voided) it reads the account again and decides again, so two orders that the balance and the
 * card can pay both succeed, and a card is never charged for nothing (no 0.00 charges). After
 * ATTEMPTS such races the request answers 409 insufficient_balance (balance_changed), which the
 * idempotency layer does not store: a retry with the same key runs again.
 */
export async function payFromSources(
  deps: Deps,
  p: PayFromSources,
  settle: SourceSettler,
): Promise<Result<Order>> {
  let account: Account | null = p.account ?? null;
  for (let attempt = 1; ; attempt++) {
    account ??= await getAccount(deps.db, p.accountId);
    if (!account) return err('not_found', 'no such account');
    // before a card is charged (takePayment checks again under the account's lock)
    const open = accountMayOrder(account);
    if (!open.ok) return open;
    const est = await estimatePayment(deps, { account, order: p.order, vouchers: p.vouchers, now: p.now });
    if (!est.ok) return est;
    const fromCard = est.value.split.fromCard;
    const paid =
      fromCard > 0
        ? await chargeRest(deps, p, account, fromCard, settle)
        : await resultTx(deps.db, (q) => settle(q, null, p.now));
    if (paid.ok || !balanceChanged(paid.error) || attempt === ATTEMPTS) return paid;
    account = null;
  }
}

function balanceChanged(e: DomainError): boolean {
  return e.code === 'insufficient_balance' && e.detail?.decline_code === 'balance_changed';
}

/**
 * The card part of an order's payment: `fromCard` (what the vouchers and the balance leave) is
 * charged to the default card (charge-then-settle.ts: intent, charge, settle with `settle`).
 */
async function chargeRest(
  deps: Deps,
  p: PayFromSources,
  account: Account,
  fromCard: Cents,
  settle: SourceSettler,
): Promise<Result<Order>> {
  if (p.idem) {
    // a request under this key may have died after charging the card: finish that payment
    // first, and answer with its order rather than charging a second time
    const earlier = await earlierOrderForKey(deps, p.accountId, p.idem);
    if (earlier) return earlier;
  }
  const pm = await defaultCard(deps, account, fromCard);
  if (!pm.ok) return pm;
  if (p.check) {
    const checked = await p.check();
    if (!checked.ok) return checked;
  }
  return chargeThenSettle(
    deps,
    {
      paymentId: deps.ids.next('pay'),
      accountId: account.id,
      paymentMethodId: pm.value.id,
      gatewayToken: pm.value.gatewayRef,
      amountCents: fromCard,
      purpose: 'order',
      orderId: p.order.id,
      draft: { ...p.draft, idem: p.idem ?? null, vouchers: p.vouchers },
      ...(p.reserve ? { reserve: p.reserve } : {}),
    },
    settle,
    p.afterCharge,
  );
}

/** What a pay-now order command carries into its payment (orders/place-order-command.ts). */
export interface PayNowCommand {
  accountId: string;
  vouchers?: readonly string[];
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

/**
 * Pays a newly priced order now from its sources; `settle` takes the payment and writes what the
 * order delivers in the paying transaction (and is the order's settler for crash recovery).
 */
export function payNewOrder(
  deps: Deps,
  cmd: PayNowCommand,
  p: { account: Account; order: Order; now: Date },
  settle: (q: Sql, input: SettleInput) => Promise<Result<Order>>,
): Promise<Result<Order>> {
  const vouchers = cmd.vouchers ?? [];
  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      account: p.account,
      order: p.order,
      vouchers,
      now: p.now,
      idem: cmd.idem,
      draft: { order: p.order },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) => settle(q, { order: p.order, vouchers, card, idem: cmd.idem, at }),
  );
}
