/**
 * POST /v1/orders with pay now (SPEC §4, §5): price the order, then pay it from the balance, or
 * from the balance and the default card for the rest (card charges outside the transaction, see
 * card-payment.ts). On any failure nothing stays taken.
 */
import { type Account, getAccount, type KeyPrincipal } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource, readKey } from '../../db/idempotency.ts';
import { movePool, payOrderFromBalance } from '../../db/ledger.ts';
import { getOrder, insertOrder } from '../../db/orders.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { splitPayment } from '../../domain/payment-split.ts';
import type { Ids } from '../../ids.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { placeIspOrder, settleIspOrderPayment } from '../isp/place-isp-order.ts';
import { isRenewDraft, settleRenewalPayment } from '../isp/renew-batch.ts';
import {
  draftVouchers,
  isPayLaterDraft,
  type OrderPaymentSettler,
  paidCause,
  payFromSources,
  settlePendingOrderPayment,
  takePayment,
} from '../payments/pay-from-sources.ts';
import { recoverPaymentsForKey } from '../payments/recover-payments.ts';
import { type EventType, emitOrderPaidEvents, wantsEvents } from '../webhooks/emit-event.ts';
import { cachedPrices, dropCachedPrices } from './cached-prices.ts';
import { placeUnpaidOrder } from './place-unpaid-order.ts';
import { BYTES_PER_GB, needsKyc, type OrderInput, priceOrder } from './price-order.ts';

export interface PlaceOrderCommand {
  accountId: string;
  /** the account and its webhook flag as read at authentication (http/auth.ts); read here when absent */
  principal?: Pick<KeyPrincipal, 'account' | 'hasWebhooks'>;
  input: OrderInput;
  /** "now" (default): paid inside the request; "later": pending_payment, paid with POST …/pay */
  pay?: 'now' | 'later';
  /** vouchers to spend first, in this order (SPEC §5) */
  vouchers?: readonly string[];
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

/** Checks that stop an account from ordering a product at all, whatever it pays with. */
export function orderGate(account: Account, product: string): Result<void> {
  if (account.status !== 'active') return err('forbidden', 'this account is suspended');
  if (needsKyc(product) && account.kycStatus !== 'approved') {
    return err('kyc_required', `ordering ${product} needs an approved KYC verification (POST /v1/kyc)`);
  }
  return ok(undefined);
}

/** Writes a paid order and what it delivers, inside the caller's transaction. */
export async function writePaidOrder(
  q: Sql,
  ids: Ids,
  order: Order,
  cause: string,
  idem?: IdempotencyLink,
): Promise<void> {
  await insertOrder(q, order, cause);
  const gb = order.details.gb;
  if (typeof gb === 'number') {
    await movePool(q, {
      id: ids.next('txn'),
      accountId: order.accountId,
      product: order.product,
      amount: gb * BYTES_PER_GB,
      cause: 'order',
      orderId: order.id,
      at: order.createdAt,
    });
  }
  if (idem) await attachResource(q, idem.scope, idem.key, 'order', order.id);
  await emitOrderPaidEvents(q, { ids }, order, order.updatedAt);
}

/** The webhook events a bandwidth order paid from the balance raises (see payFromBalance). */
const PAID_ORDER_EVENTS: readonly EventType[] = ['order.paid', 'order.completed'];

export async function placeOrder(deps: Deps, cmd: PlaceOrderCommand): Promise<Result<Order>> {
  if (cmd.pay === 'later') return placeUnpaidOrder(deps, cmd);
  if (cmd.input.product === 'isp') return placeIspOrder(deps, { ...cmd, input: cmd.input });
  if (cmd.vouchers?.length) return placeWithVouchers(deps, cmd);
  return placeBandwidthNow(deps, cmd, true);
}

/**
 * A bandwidth order paid now. With `cached`, the hot path reads nothing itself: the account and
 * its webhook flag come from authentication (cmd.principal) and the prices from the process's
 * cache, and the one statement that pays checks the prices' version. If that statement writes
 * nothing (balance short, or prices changed) the order is priced and placed again from fresh reads.
 */
async function placeBandwidthNow(
  deps: Deps,
  cmd: PlaceOrderCommand,
  cached: boolean,
): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const pre = cached ? cmd.principal : undefined;
  const product = cmd.input.product;
  const bandwidth = product === 'residential' || product === 'mobile';
  // independent reads, side by side: the account (for the gate and the split), the prices, and
  // whether a webhook endpoint wants this order's events (one index probe, see payFromBalance)
  const [account, prices, hooked] = await Promise.all([
    pre ? pre.account : getAccount(deps.db, cmd.accountId),
    cached && bandwidth ? cachedPrices(deps.db, product) : null,
    pre ? pre.hasWebhooks : wantsEvents(deps.db, cmd.accountId, PAID_ORDER_EVENTS),
  ]);
  const priced = await priceOrder(deps.db, deps.ids, cmd.accountId, cmd.input, now, prices?.plans);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, product);
  if (!gate.ok) return gate;
  if (!priced.ok) return priced;
  const order = priced.value;

  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  if (split.fromCard === 0) {
    // the hot path: one statement, whose conditional debit is the concurrency guard
    const paid = await payFromBalance(
      deps,
      order,
      'paid from balance',
      cmd.idem,
      now,
      hooked,
      prices?.version,
    );
    if (paid) return ok(order);
    // nothing written: the balance moved under us, or (with cached prices) the price book did
    if (prices) {
      dropCachedPrices(deps.db, product);
      return placeBandwidthNow(deps, cmd, false);
    }
  }
  if (cached && (pre || prices)) return placeBandwidthNow(deps, cmd, false);
  return placeFromSources(deps, cmd, order);
}

/**
 * Pays the order from the balance and writes it in one statement; false if the balance is short.
 * With `hooked` (a webhook endpoint wants order.paid/order.completed for this account) the statement
 * runs in a transaction with the events after it: BEGIN, the same statement, the endpoints' SELECT,
 * one INSERT of events and deliveries, COMMIT — four more round trips, for those accounts only.
 */
async function payFromBalance(
  deps: Deps,
  order: Order,
  cause: string,
  idem: IdempotencyLink | undefined,
  at: Date,
  hooked = false,
  /** the price book version of cached prices, checked by the statement */
  priceVersion?: number,
): Promise<boolean> {
  const gb = order.details.gb;
  const pay = (q: Sql) =>
    payOrderFromBalance(q, {
      order,
      cause,
      cashEntryId: deps.ids.next('txn'),
      pool:
        typeof gb === 'number'
          ? { entryId: deps.ids.next('txn'), product: order.product, bytes: gb * BYTES_PER_GB }
          : null,
      idem: idem ?? null,
      priceVersion: priceVersion ?? null,
      at,
    });
  if (!hooked) return (await pay(deps.db)) !== null;
  return deps.db.tx(async (q) => {
    const debit = await pay(q);
    if (debit) await emitOrderPaidEvents(q, deps, order, at);
    return debit !== null;
  });
}

/** A bandwidth order's account (gated) and its price draft, read side by side. */
export async function priceForAccount(
  deps: Deps,
  cmd: PlaceOrderCommand,
  now: Date,
): Promise<Result<{ account: Account; order: Order }>> {
  const [account, priced] = await Promise.all([
    getAccount(deps.db, cmd.accountId),
    priceOrder(deps.db, deps.ids, cmd.accountId, cmd.input, now),
  ]);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, cmd.input.product);
  if (!gate.ok) return gate;
  if (!priced.ok) return priced;
  return ok({ account, order: priced.value });
}

/**
 * Pay now with vouchers named, or when the balance does not cover the order: vouchers, then the
 * balance, in one transaction (the vouchers' and the balance's conditional decrements are the
 * guards); the card for what they leave (pay-order.ts payFromSources).
 */
async function placeWithVouchers(deps: Deps, cmd: PlaceOrderCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await priceForAccount(deps, cmd, now);
  if (!priced.ok) return priced;
  return placeFromSources(deps, cmd, priced.value.order, priced.value.account);
}

function placeFromSources(
  deps: Deps,
  cmd: PlaceOrderCommand,
  order: Order,
  account?: Account,
): Promise<Result<Order>> {
  const vouchers = cmd.vouchers ?? [];
  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      ...(account ? { account } : {}),
      order,
      vouchers,
      now: order.createdAt,
      idem: cmd.idem,
      draft: { order },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    async (q, card, at) => {
      if (card) return settleOrderPayment(deps, q, order, card, cmd.idem, at);
      const paid = await takePayment(deps, q, { order, vouchers, card: null, at });
      if (!paid.ok) return paid;
      await writePaidOrder(q, deps.ids, paid.value, paidCause(paid.value, false), cmd.idem);
      return paid;
    },
  );
}

/**
 * The card money enters the balance (covering arrears too) and the order is paid from it, in one
 * transaction; refused if the balance no longer covers it (the caller refunds the card).
 */
export const settleOrderPayment: OrderPaymentSettler = async (deps, q, order, payment, idem, at) => {
  // `at`: the settlement time, read before the transaction (see Settler in card-payment.ts)
  const vouchers = draftVouchers(payment);
  if (isPayLaterDraft(payment)) {
    return settlePendingOrderPayment(deps, q, order, vouchers, payment, idem, at);
  }
  if (isRenewDraft(payment)) return settleRenewalPayment(deps, q, order, payment, idem, at);
  if (order.product === 'isp') return settleIspOrderPayment(deps, q, order, payment, idem, at);
  const account = await getAccount(q, order.accountId, { forUpdate: true });
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const paid = await takePayment(deps, q, { order, vouchers, card: payment, at });
  if (!paid.ok) {
    if (paid.error.detail?.decline_code !== 'balance_changed') return paid;
    return err(
      'insufficient_balance',
      'The balance changed while the card was charged; the charge was refunded',
      {
        detail: { decline_code: 'balance_changed' },
      },
    );
  }
  await writePaidOrder(q, deps.ids, paid.value, paidCause(paid.value, true), idem);
  return ok(paid.value);
};

export async function earlierOrderForKey(
  deps: Deps,
  accountId: string,
  idem: IdempotencyLink,
): Promise<Result<Order> | null> {
  const counts = await recoverPaymentsForKey(deps, idem);
  if (counts.pending > 0) {
    return err(
      'request_in_progress',
      'An earlier payment under this Idempotency-Key is still being settled; retry later',
    );
  }
  if (counts.settled === 0) return null;
  const row = await readKey(deps.db, idem.scope, idem.key);
  const order =
    row?.resourceType === 'order' && row.resourceId
      ? await getOrder(deps.db, row.resourceId, accountId)
      : null;
  return order ? ok(order) : null;
}
