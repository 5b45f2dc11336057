/**
 * POST /v1/orders with pay now (SPEC §4, §5): price the order, then pay it from the balance, or
 * from the balance and the default card for the rest (card charges outside the transaction, see
 * charge-then-settle.ts). On any failure nothing stays taken.
 */
import { type Account, getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { isKeyTaken } from '../../db/idempotency.ts';
import { type KeyRecord, payOrderFromBalance } from '../../db/ledger.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import { splitPayment } from '../../domain/payment-split.ts';
import { placeCouponOrder } from '../coupons/place-coupon-order.ts';
import type { Deps, IdempotencyLink, UnclaimedKey } from '../deps.ts';
import { placeIspOrder } from '../isp/place-isp-order.ts';
import { payFromSources } from '../payments/pay-from-sources.ts';
import { settleOrderPayment } from '../payments/settle-order-payment.ts';
import { paidCause, takePayment } from '../payments/take-payment.ts';
import { type EventType, emitOrderPaidEvents, wantsEvents } from '../webhooks/emit-event.ts';
import { cachedPrices, dropCachedPrices } from './cached-prices.ts';
import type { PlaceOrderCommand } from './place-order-command.ts';
import { placeUnpaidOrder } from './place-unpaid-order.ts';
import { priceForAccount } from './price-for-account.ts';
import { BYTES_PER_GB, priceOrder } from './price-order.ts';
import { writePaidOrder } from './write-paid-order.ts';

/** The webhook events a bandwidth order paid from the balance raises (see payFromBalance). */
const PAID_ORDER_EVENTS: readonly EventType[] = ['order.paid', 'order.completed'];

export async function placeOrder(deps: Deps, cmd: PlaceOrderCommand): Promise<Result<Order>> {
  if (cmd.input.product === 'reserved_instance') return placeCouponOrder(deps, { ...cmd, input: cmd.input });
  if (cmd.pay === 'later') return placeUnpaidOrder(deps, cmd);
  if (cmd.input.product === 'isp') return placeIspOrder(deps, { ...cmd, input: cmd.input });
  if (cmd.vouchers?.length) return placeWithVouchers(deps, cmd);
  return placeBandwidthNow(deps, cmd, true);
}

/**
 * POST /v1/orders with an Idempotency-Key not yet claimed (see UnclaimedKey): the hot path of
 * placeBandwidthNow, whose one statement also claims the key, links the order and stores the
 * answer, so the key costs no round trip of its own. Null when the order is not that path (other
 * products, vouchers, pay later, a card to charge, a failure to answer) or the statement wrote
 * nothing (the key has a row, a request with the same key raced this one, the balance or the prices
 * moved): nothing was done, and the caller claims the key and calls placeOrder.
 */
export async function placeOrderRecordingKey(
  deps: Deps,
  cmd: PlaceOrderCommand,
  key: UnclaimedKey,
): Promise<Order | null> {
  const product = cmd.input.product;
  if (cmd.pay === 'later' || cmd.vouchers?.length || !cmd.principal) return null;
  if (product !== 'residential' && product !== 'mobile') return null;
  const placed = await placeBandwidthNow(deps, cmd, true, key);
  return placed?.ok ? placed.value : null;
}

/**
 * A bandwidth order paid now. With `cached`, the hot path reads nothing itself: the account, its
 * webhook flag and its contract discounts come from authentication (cmd.principal) and the prices
 * from the process's cache, and the one statement that pays checks the prices' version. If that
 * statement writes nothing (balance short, or prices changed) the order is priced and placed again
 * from fresh reads. With `key` (placeOrderRecordingKey) only that statement is tried: null instead
 * of any other path or answer.
 */
async function placeBandwidthNow(
  deps: Deps,
  cmd: PlaceOrderCommand,
  cached: true,
  key: UnclaimedKey,
): Promise<Result<Order> | null>;
async function placeBandwidthNow(deps: Deps, cmd: PlaceOrderCommand, cached: boolean): Promise<Result<Order>>;
async function placeBandwidthNow(
  deps: Deps,
  cmd: PlaceOrderCommand,
  cached: boolean,
  key?: UnclaimedKey,
): Promise<Result<Order> | null> {
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
  // the contract discount as read with the principal at authentication; else priceOrder reads it
  const contractBp = pre ? (pre.contractDiscounts[product] ?? 0) : undefined;
  const priced = await priceOrder(
    deps.db,
    deps.ids,
    cmd.accountId,
    cmd.input,
    now,
    prices?.plans,
    contractBp,
  );
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, product);
  if (!gate.ok) return key ? null : gate;
  if (!priced.ok) return key ? null : priced;
  const order = priced.value;

  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  if (split.fromCard === 0) {
    // the hot path: one statement, whose conditional debit is the concurrency guard
    const record = key ? { ...key, statusCode: 200, responseBody: key.answer(order) } : undefined;
    const paid = await payFromBalance(
      deps,
      order,
      'paid from balance',
      cmd.idem,
      now,
      hooked,
      prices?.version,
      record,
    ).catch((e: unknown) => {
      if (record && isKeyTaken(e)) return false;
      throw e;
    });
    if (paid) return ok(order);
    // the key has a row or the balance or the prices moved: the claiming path sorts out which
    if (key) return null;
    // nothing written: the balance moved under us, or (with cached prices) the price book did
    if (prices) {
      dropCachedPrices(deps.db, product);
      return placeBandwidthNow(deps, cmd, false);
    }
  }
  if (key) return null;
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
  /** an unclaimed key to claim, link and complete with the answer in the same statement */
  record?: KeyRecord,
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
      record: record ?? null,
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
