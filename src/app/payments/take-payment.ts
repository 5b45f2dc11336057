/**
 * Taking an order's payment inside the paying transaction (SPEC §5): the vouchers named, then the
 * card's money (if a card paid), then the balance — and the estimate made before it, so a card is
 * charged only for what the vouchers and the balance leave.
 *
 *  - estimatePayment (before any transaction): what the vouchers and the balance cover;
 *  - takePayment (inside the paying transaction): locks the account, then the vouchers (id order),
 *    spends the vouchers (ledger entries, conditional decrement), credits the card's money to the
 *    balance if a card paid, and debits the balance (conditional). Any refusal rolls everything
 *    back, so a declined or refused card leaves no voucher or balance taken.
 *
 * Lock order, shared with cancellation and refunds: the order, (the country's stock), the account,
 * the vouchers.
 */
import { type Account, getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { debitCashIfCovered, moveCash } from '../../db/ledger.ts';
import type { Payment } from '../../db/payments.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type Cents, sum } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import { accountMayOrder, orderGate } from '../../domain/order-gate.ts';
import { type PaymentSplit, splitPayment } from '../../domain/payment-split.ts';
import type { VoucherTake } from '../../domain/voucher-split.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resumeIfArrearsPaid } from '../settlement/resume-if-arrears-paid.ts';
import {
  payableBeforeVouchers,
  planVouchers,
  spendVouchers,
  withVouchers,
} from '../vouchers/plan-vouchers.ts';

export interface Estimate {
  takes: VoucherTake[];
  split: PaymentSplit;
}

/** What the vouchers, the balance and the card would pay now (no locks; settling checks again). */
export async function estimatePayment(
  deps: Deps,
  p: { account: Account; order: Order; vouchers: readonly string[]; now: Date },
): Promise<Result<Estimate>> {
  const payable = payableBeforeVouchers(p.order);
  const takes = await planVouchers(deps.db, {
    accountId: p.account.id,
    product: p.order.product,
    ids: p.vouchers,
    payable,
    now: p.now,
    lock: false,
  });
  if (!takes.ok) return takes;
  const voucherAvailable = sum(takes.value.map((t) => t.amount));
  return ok({
    takes: takes.value,
    split: splitPayment({ payable, balance: p.account.balanceCents, voucherAvailable }),
  });
}

/**
 * Inside the paying transaction: vouchers, then the card's money (if a card paid), then the
 * balance. Returns the order marked paid (payment status and lines), its voucher deduction split
 * over its lines; the caller sets the fulfilment status and writes it. An error means roll back.
 */
export async function takePayment(
  deps: Deps,
  q: Sql,
  p: { order: Order; vouchers: readonly string[]; card: Payment | null; at: Date },
): Promise<Result<Order>> {
  const { order, at } = p;
  // every order's payment passes here, under the account's lock: a suspended account pays none
  const account = await getAccount(q, order.accountId, { forUpdate: true });
  if (account) {
    const open = accountMayOrder(account);
    if (!open.ok) return open;
  }
  const takes = await planVouchers(q, {
    accountId: order.accountId,
    product: order.product,
    ids: p.vouchers,
    payable: payableBeforeVouchers(order),
    now: at,
    lock: true,
  });
  if (!takes.ok) return takes;
  const paid = withVouchers(
    {
      ...order,
      paymentStatus: 'paid',
      lines: order.lines.map((l) => ({ ...l, status: 'paid' })),
    },
    sum(takes.value.map((t) => t.amount)),
    true,
  );
  const spent = await spendVouchers(q, deps.ids, {
    accountId: order.accountId,
    orderId: order.id,
    takes: takes.value,
    at,
  });
  if (!spent.ok) return spent;
  if (p.card) {
    await moveCash(q, {
      id: deps.ids.next('txn'),
      accountId: order.accountId,
      amount: p.card.amountCents,
      cause: 'card_payment',
      orderId: order.id,
      paymentId: p.card.id,
      at,
    });
  }
  if (paid.payable > 0) {
    const debit = await debitCashIfCovered(q, {
      id: deps.ids.next('txn'),
      accountId: order.accountId,
      amount: -paid.payable,
      cause: 'order',
      orderId: order.id,
      at,
    });
    if (!debit) {
      return err('insufficient_balance', 'The balance changed while the order was paid', {
        detail: { decline_code: 'balance_changed' },
      });
    }
  }
  // a card payment also paid the arrears (splitPayment): the suspended postpaid servers resume
  if (p.card) await resumeIfArrearsPaid(q, order.accountId, at);
  return ok(paid);
}

/** The cause of a paid order's first events: "paid from balance", "paid from vouchers, balance and card"… */
export function paidCause(order: { voucher: Cents }, card: boolean, later = false): string {
  const sources = [...(order.voucher > 0 ? ['vouchers'] : []), 'balance', ...(card ? ['card'] : [])];
  const last = sources.pop();
  const list = sources.length > 0 ? `${sources.join(', ')} and ${last}` : last;
  return `${later ? 'paid later' : 'paid'} from ${list}`;
}

/**
 * Writes a paid order in the paying transaction: `card` is the card payment that paid the rest, or
 * null when the vouchers and the balance paid it all. Also the settler of the card payment, so it
 * runs again from crash recovery (through the payment's draft).
 */
export type SourceSettler = (q: Sql, card: Payment | null, at: Date) => Promise<Result<Order>>;

/**
 * Settles a card payment of an order from the payment's draft (the request's own settlement, and
 * crash recovery's, through settle-order-payment.ts settleOrderPayment): one per kind of draft.
 */
export type OrderPaymentSettler = (
  deps: Deps,
  q: Sql,
  order: Order,
  payment: Payment,
  idem: IdempotencyLink | undefined,
  at: Date,
) => Promise<Result<Order>>;

/** The vouchers a card payment's draft names (none for drafts written before vouchers existed). */
export function draftVouchers(payment: Payment): string[] {
  const v = (payment.draft as { vouchers?: unknown } | null)?.vouchers;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Whether a card payment pays an order placed with pay later (POST /v1/orders/{id}/pay). */
export function isPayLaterDraft(payment: Payment): boolean {
  return (payment.draft as { pay_later?: unknown } | null)?.pay_later === true;
}

/** What a settler of a new order receives: the vouchers named, the card that paid the rest (or null). */
export interface SettleInput {
  order: Order;
  vouchers: readonly string[];
  card: Payment | null;
  idem: IdempotencyLink | undefined;
  at: Date;
}

/**
 * Inside the paying transaction of a new order: lock the account, check it may still order the
 * product (orderGate), take the payment. A balance that moved after the card was charged is named
 * so; the caller rolls back and chargeThenSettle refunds the card.
 */
export async function takeGatedPayment(deps: Deps, q: Sql, p: SettleInput): Promise<Result<Order>> {
  const account = await getAccount(q, p.order.accountId, { forUpdate: true });
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, p.order.product);
  if (!gate.ok) return gate;
  const taken = await takePayment(deps, q, { order: p.order, vouchers: p.vouchers, card: p.card, at: p.at });
  if (taken.ok || !p.card || taken.error.detail?.decline_code !== 'balance_changed') return taken;
  return err(
    'insufficient_balance',
    'The balance changed while the card was charged; the charge was refunded',
    {
      detail: { decline_code: 'balance_changed' },
    },
  );
}
