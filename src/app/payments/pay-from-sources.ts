/**
 * Paying an order from its sources, in order (SPEC §5): the vouchers named, then the balance, then
 * the default card for the rest. One use-case for pay now (bandwidth and ISP, place-order.ts and
 * place-isp-order.ts) and for `POST /v1/orders/{id}/pay` of an order placed with `"pay": "later"`.
 *
 *  - estimatePayment (before any transaction): what the vouchers and the balance cover, so the card
 *    is charged only for the rest;
 *  - takePayment (inside the paying transaction): locks the account, then the vouchers (id order),
 *    spends the vouchers (ledger entries, conditional decrement), credits the card's money to the
 *    balance if a card paid, and debits the balance (conditional). Any refusal rolls everything
 *    back, so a declined or refused card leaves no voucher or balance taken;
 *  - chargeRest: the card part through card-payment.ts (intent, charge, settle,
 *    crash recovery). The payment's draft carries the voucher ids (and `pay_later` for /pay) so the
 *    recovery job settles exactly as the request would have.
 *
 * Lock order, shared with cancellation and refunds: the order, (the country's stock), the account,
 * the vouchers.
 */
import { type Account, getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import {
  allocateHeldIps,
  changeOrderState,
  insertBatch,
  type LockedOrder,
  lockOrder,
} from '../../db/isp-batches.ts';
import { debitCashIfCovered, moveCash, movePool } from '../../db/ledger.ts';
import { getOrder, getPayLater, type PayLaterRecord, setOrderAmounts } from '../../db/orders.ts';
import {
  getPaymentMethod,
  hasProcessingPayment,
  type Payment,
  type PaymentMethod,
} from '../../db/payments.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type Cents, sum } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import { type PaymentSplit, splitPayment } from '../../domain/payment-split.ts';
import type { VoucherTake } from '../../domain/voucher-split.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { enqueueProvisioning } from '../isp/place-isp-order.ts';
import { earlierOrderForKey, orderGate } from '../orders/place-order.ts';
import { BYTES_PER_GB } from '../orders/price-order.ts';
import { resultTx } from '../result-tx.ts';
import {
  payableBeforeVouchers,
  planVouchers,
  spendVouchers,
  withVouchers,
} from '../vouchers/plan-vouchers.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import { chargeThenSettle } from './charge-then-settle.ts';

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
  await getAccount(q, order.accountId, { forUpdate: true });
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
  return ok(paid);
}

/** The cause of a paid order's first events: "paid from balance", "paid from vouchers, balance and card"… */
export function paidCause(order: { voucher: Cents }, card: boolean, later = false): string {
  const sources = [...(order.voucher > 0 ? ['vouchers'] : []), 'balance', ...(card ? ['card'] : [])];
  const last = sources.pop();
  const list = sources.length > 0 ? `${sources.join(', ')} and ${last}` : last;
  return `${later ? 'paid later' : 'paid'} from ${list}`;
}

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

/**
 * Writes a paid order in the paying transaction: `card` is the card payment that paid the rest, or
 * null when the vouchers and the balance paid it all. Also the settler of the card payment, so it
 * runs again from crash recovery (through the payment's draft).
 */
export type SourceSettler = (q: Sql, card: Payment | null, at: Date) => Promise<Result<Order>>;

/**
 * Settles a card payment of an order from the payment's draft (the request's own settlement, and
 * crash recovery's, through place-order.ts settleOrderPayment): one per kind of draft.
 */
export type OrderPaymentSettler = (
  deps: Deps,
  q: Sql,
  order: Order,
  payment: Payment,
  idem: IdempotencyLink | undefined,
  at: Date,
) => Promise<Result<Order>>;

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

/**
 * Pays an order from its sources (SPEC §5): when the vouchers and the balance cover it, in one
 * transaction (`settle(q, null)`, whose conditional decrements are the guards); otherwise the rest
 * by the default card (chargeRest). When the balance moved under the transaction it reads the
 * account again and decides again, so a card is never charged for nothing (no 0.00 charges).
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
    const est = await estimatePayment(deps, { account, order: p.order, vouchers: p.vouchers, now: p.now });
    if (!est.ok) return est;
    const fromCard = est.value.split.fromCard;
    if (fromCard > 0) return chargeRest(deps, p, account, fromCard, settle);
    const paid = await resultTx(deps.db, (q) => settle(q, null, p.now));
    // the balance moved under us: decide again from a fresh read (a few times, then give up)
    if (paid.ok || paid.error.detail?.decline_code !== 'balance_changed' || attempt === 3) return paid;
    account = null;
  }
}

/**
 * The card part of an order's payment: `fromCard` (what the vouchers and the balance leave) is
 * charged to the default card (card-payment.ts: intent, charge, settle with `settle`).
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

/** The vouchers a card payment's draft names (none for drafts written before vouchers existed). */
export function draftVouchers(payment: Payment): string[] {
  const v = (payment.draft as { vouchers?: unknown } | null)?.vouchers;
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Whether a card payment pays an order placed with pay later (POST /v1/orders/{id}/pay). */
export function isPayLaterDraft(payment: Payment): boolean {
  return (payment.draft as { pay_later?: unknown } | null)?.pay_later === true;
}

// ---- POST /v1/orders/{id}/pay ----

export interface PayOrderCommand {
  accountId: string;
  orderId: string;
  /** the vouchers to spend; omitted: those named when the order was placed */
  vouchers?: readonly string[];
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

function notFound(id: string) {
  return err('not_found', `No such order: ${id}`, { param: 'id' });
}

function notPayable(o: { id: string; paymentStatus: string }) {
  return err(
    'invalid_state',
    `order ${o.id} is ${o.paymentStatus}; only a pending_payment order can be paid`,
    {
      detail: { payment_status: o.paymentStatus },
    },
  );
}

export async function payPendingOrder(deps: Deps, cmd: PayOrderCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const [order, account, record] = await Promise.all([
    getOrder(deps.db, cmd.orderId, cmd.accountId),
    getAccount(deps.db, cmd.accountId),
    getPayLater(deps.db, cmd.orderId),
  ]);
  if (!order || !account) return notFound(cmd.orderId);
  if (cmd.idem && order.paymentStatus === 'paid') {
    // a request under this key may have died after charging the card: answer with what it paid
    const earlier = await earlierOrderForKey(deps, cmd.accountId, cmd.idem);
    if (earlier) return earlier;
  }
  if (order.paymentStatus !== 'pending_payment') return notPayable(order);
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const vouchers = cmd.vouchers ?? record?.vouchers ?? [];
  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      account,
      order,
      vouchers,
      now,
      idem: cmd.idem,
      draft: { order, pay_later: true },
      // the card's intent is written under the order's lock, once it is known to be payable: a
      // cancellation (which takes the same lock) then sees the payment in flight and waits for it
      reserve: async (q) => {
        const locked = await lockOrder(q, order.id, order.accountId);
        if (!locked) return notFound(order.id);
        return locked.paymentStatus === 'pending_payment' ? ok(undefined) : notPayable(locked);
      },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) => settlePendingOrderPayment(deps, q, order, vouchers, card, cmd.idem, at),
  );
}

/**
 * Pays a pending_payment order in the caller's transaction (also the settler of its card payment,
 * from the request or from crash recovery): the order's lock first, so paying and cancelling the
 * same order serialize and exactly one wins (the other: 409 invalid_state, and a card already
 * charged is refunded by the caller). Then the payment, the amounts, what the order delivers
 * (traffic; or the batch from the held IPs and its provisioning job) and the `order.paid` events.
 * Every refusal is an error result (never a throw), so a card charged for it is refunded.
 */
export async function settlePendingOrderPayment(
  deps: Deps,
  q: Sql,
  draft: Order,
  vouchers: readonly string[],
  card: Payment | null,
  idem: IdempotencyLink | undefined,
  at: Date,
): Promise<Result<Order>> {
  const locked = await lockOrder(q, draft.id, draft.accountId);
  if (!locked) return notFound(draft.id);
  if (locked.paymentStatus !== 'pending_payment') return notPayable(locked);
  // paid without a card while a card payment for it is in flight: that payment decides
  if (!card && (await hasProcessingPayment(q, locked.id))) return paymentInFlight(locked.id);
  // one query at a time: this runs inside a transaction
  const order = await getOrder(q, draft.id, draft.accountId);
  const record = await getPayLater(q, draft.id);
  const account = await getAccount(q, draft.accountId, { forUpdate: true });
  if (!order || !account) return notFound(draft.id);
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const paid = await takePayment(deps, q, { order, vouchers, card, at });
  if (!paid.ok) return paid;
  await setOrderAmounts(q, paid.value);
  const cause = paidCause(paid.value, card !== null, true);
  const delivered =
    order.product === 'isp'
      ? await deliverHeldIps(deps, q, { locked, order, isp: record?.isp, cause, at })
      : await deliverTraffic(deps, q, { locked, order, cause, at });
  if (!delivered.ok) return delivered;
  if (idem) await attachResource(q, idem.scope, idem.key, 'order', order.id);
  const final = await getOrder(q, order.id, order.accountId);
  if (!final) return notFound(order.id);
  await emitOrderPaidEvents(q, deps, final, at);
  return ok(final);
}

function paymentInFlight(orderId: string) {
  return err('request_in_progress', `A card payment for order ${orderId} is in progress; retry later`);
}

interface Delivery {
  locked: LockedOrder;
  order: Order;
  cause: string;
  at: Date;
}

/** A paid bandwidth order: its traffic to the pool, and completed. */
async function deliverTraffic(deps: Deps, q: Sql, d: Delivery): Promise<Result<void>> {
  const { order, at } = d;
  const gb = order.details.gb;
  if (typeof gb === 'number') {
    await movePool(q, {
      id: deps.ids.next('txn'),
      accountId: order.accountId,
      product: order.product,
      amount: gb * BYTES_PER_GB,
      cause: 'order',
      orderId: order.id,
      at,
    });
  }
  await changeOrderState(q, order.id, {
    status: [d.locked.status, 'completed'],
    paymentStatus: [d.locked.paymentStatus, 'paid'],
    lineStatus: 'paid',
    cause: d.cause,
    at,
  });
  return ok(undefined);
}

/** A paid ISP order: its batch from the IPs held for it, provisioning. */
async function deliverHeldIps(
  deps: Deps,
  q: Sql,
  d: Delivery & { isp: PayLaterRecord['isp'] },
): Promise<Result<void>> {
  const { order, at, isp } = d;
  const batchId = order.details.batch_id as string;
  const quantity = order.details.quantity as number;
  const ips = isp ? await allocateHeldIps(q, order.id, batchId, at) : [];
  if (!isp || ips.length !== quantity) {
    // an invariant broken (the held IPs are gone): refuse, so a card charged for it is refunded
    deps.log.error({ orderId: order.id, held: ips.length, quantity }, 'unpaid ISP order lost its held IPs');
    return err('invalid_state', `order ${order.id} no longer holds its ${quantity} IPs; it cannot be paid`, {
      detail: { held: ips.length, quantity },
    });
  }
  const expiresAt = addMonths(at, isp.months);
  await insertBatch(
    q,
    {
      id: batchId,
      accountId: order.accountId,
      orderId: order.id,
      subuserId: isp.subuserId,
      country: order.details.country as string,
      city: order.details.city as string | null,
      asn: order.details.asn as number | null,
      quantity: ips.length,
      months: isp.months,
      status: 'provisioning',
      autoRenew: isp.autoRenew,
      substitution: (order.details.substitution as never) ?? null,
      periodStartedAt: at,
      expiresAt,
      at,
    },
    ips,
  );
  await enqueueProvisioning(deps, q, batchId, order.details.country as string, at);
  await changeOrderState(q, order.id, {
    status: [d.locked.status, 'provisioning'],
    paymentStatus: [d.locked.paymentStatus, 'paid'],
    lineStatus: 'paid',
    term: { startsAt: at, endsAt: expiresAt },
    details: { expires_at: expiresAt.toISOString() },
    cause: d.cause,
    at,
  });
  return ok(undefined);
}
