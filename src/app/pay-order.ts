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
import { type Account, getAccount } from '../db/accounts.ts';
import type { Sql } from '../db/client.ts';
import { attachResource } from '../db/idempotency.ts';
import { allocateHeldIps, changeOrderState, insertBatch, lockOrder } from '../db/isp-batches.ts';
import { debitCashIfCovered, moveCash, movePool } from '../db/ledger.ts';
import { getOrder, getPayLater, setOrderAmounts } from '../db/orders.ts';
import { getPaymentMethod, type Payment, type PaymentMethod } from '../db/payments.ts';
import { addMonths } from '../domain/batch-lifecycle.ts';
import { DomainFailure, err, ok, type Result } from '../domain/errors.ts';
import { type Cents, sum } from '../domain/money.ts';
import type { Order } from '../domain/order.ts';
import { type PaymentSplit, splitPayment } from '../domain/payment-split.ts';
import type { VoucherTake } from '../domain/voucher-split.ts';
import { payableBeforeVouchers, planVouchers, spendVouchers, withVouchers } from './apply-vouchers.ts';
import { chargeThenSettle, type Settler } from './card-payment.ts';
import type { Deps, IdempotencyLink } from './deps.ts';
import { emitOrderPaidEvents } from './emit-event.ts';
import { enqueueProvisioning } from './place-isp-order.ts';
import { earlierOrderForKey, orderGate } from './place-order.ts';
import { BYTES_PER_GB } from './price-order.ts';

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
 * The card part of an order's payment: with a fresh read of the account, what the vouchers and
 * the balance leave is charged to the default card (card-payment.ts: intent, charge, settle with
 * `settle`). `check` runs after the card is known and before it is charged (ISP: the stock). The
 * payment's draft gets the voucher ids, for crash recovery.
 */
export async function chargeRest(
  deps: Deps,
  p: {
    accountId: string;
    order: Order;
    vouchers: readonly string[];
    now: Date;
    idem: IdempotencyLink | undefined;
    draft: Record<string, unknown>;
    check?: () => Promise<Result<void>>;
  },
  settle: Settler<Order>,
  afterCharge?: () => Promise<void>,
): Promise<Result<Order>> {
  if (p.idem) {
    // a request under this key may have died after charging the card: finish that payment
    // first, and answer with its order rather than charging a second time
    const earlier = await earlierOrderForKey(deps, p.accountId, p.idem);
    if (earlier) return earlier;
  }
  const account = await getAccount(deps.db, p.accountId);
  if (!account) return err('not_found', 'no such account');
  const est = await estimatePayment(deps, { account, order: p.order, vouchers: p.vouchers, now: p.now });
  if (!est.ok) return est;
  const pm = await defaultCard(deps, account, est.value.split.fromCard);
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
      amountCents: est.value.split.fromCard,
      purpose: 'order',
      orderId: p.order.id,
      draft: { ...p.draft, idem: p.idem ?? null, vouchers: p.vouchers },
    },
    settle,
    afterCharge,
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
  const est = await estimatePayment(deps, { account, order, vouchers, now });
  if (!est.ok) return est;

  if (est.value.split.fromCard === 0) {
    try {
      return await deps.db.tx(async (q) => {
        const r = await settlePendingOrderPayment(deps, q, order, vouchers, null, cmd.idem, now);
        if (!r.ok) throw new DomainFailure(r.error);
        return r;
      });
    } catch (e) {
      if (!(e instanceof DomainFailure)) throw e;
      if (e.error.detail?.decline_code !== 'balance_changed') return { ok: false, error: e.error };
    }
  }
  return chargeRest(
    deps,
    { accountId: cmd.accountId, order, vouchers, now, idem: cmd.idem, draft: { order, pay_later: true } },
    (q, payment, at) => settlePendingOrderPayment(deps, q, order, vouchers, payment, cmd.idem, at),
    cmd.afterCharge,
  );
}

/**
 * Pays a pending_payment order in the caller's transaction (also the settler of its card payment,
 * from the request or from crash recovery): the order's lock first, so paying and cancelling the
 * same order serialize and exactly one wins (the other: 409 invalid_state, and a card already
 * charged is refunded by the caller). Then the payment, the amounts, what the order delivers
 * (traffic; or the batch from the held IPs and its provisioning job) and the `order.paid` events.
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
  if (order.product === 'isp') {
    const batchId = order.details.batch_id as string;
    const isp = record?.isp;
    if (!isp) throw new Error(`unpaid ISP order ${order.id} has no batch request`);
    const ips = await allocateHeldIps(q, order.id, batchId, at);
    if (ips.length !== (order.details.quantity as number)) {
      throw new Error(`unpaid ISP order ${order.id} holds ${ips.length} IPs, not ${order.details.quantity}`);
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
      status: ['pending_payment', 'provisioning'],
      paymentStatus: ['pending_payment', 'paid'],
      lineStatus: 'paid',
      term: { startsAt: at, endsAt: expiresAt },
      details: { expires_at: expiresAt.toISOString() },
      cause,
      at,
    });
  } else {
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
      status: ['pending_payment', 'completed'],
      paymentStatus: ['pending_payment', 'paid'],
      lineStatus: 'paid',
      cause,
      at,
    });
  }
  if (idem) await attachResource(q, idem.scope, idem.key, 'order', order.id);
  const final = await getOrder(q, order.id, order.accountId);
  if (!final) throw new Error(`order ${order.id} vanished while paid`);
  await emitOrderPaidEvents(q, deps, final, at);
  return ok(final);
}
