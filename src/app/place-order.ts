/**
 * POST /v1/orders with pay now (SPEC §4, §5): price the order, then pay it from the balance, or
 * from the balance and the default card for the rest (card charges outside the transaction, see
 * card-payment.ts). On any failure nothing stays taken.
 */
import { type Account, getAccount } from '../db/accounts.ts';
import type { Sql } from '../db/client.ts';
import { attachResource, readKey } from '../db/idempotency.ts';
import { debitCashIfCovered, moveCash, movePool, payOrderFromBalance } from '../db/ledger.ts';
import { getOrder, insertOrder } from '../db/orders.ts';
import { getPaymentMethod, type Payment } from '../db/payments.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Order } from '../domain/order.ts';
import { splitPayment } from '../domain/payment-split.ts';
import type { Ids } from '../ids.ts';
import { chargeThenSettle } from './card-payment.ts';
import type { Deps, IdempotencyLink } from './deps.ts';
import { type EventType, emitOrderPaidEvents, wantsEvents } from './emit-event.ts';
import { placeIspOrder, settleIspOrderPayment } from './place-isp-order.ts';
import { BYTES_PER_GB, needsKyc, type OrderInput, priceOrder } from './price-order.ts';
import { recoverPaymentsForKey } from './recover-payments.ts';

export interface PlaceOrderCommand {
  accountId: string;
  input: OrderInput;
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
  if (cmd.input.product === 'isp') return placeIspOrder(deps, { ...cmd, input: cmd.input });
  const now = await deps.clock.now();
  // independent reads, side by side: the account (for the gate and the split), the prices, and
  // whether a webhook endpoint wants this order's events (one index probe, see payFromBalance)
  const [account, priced, hooked] = await Promise.all([
    getAccount(deps.db, cmd.accountId),
    priceOrder(deps.db, deps.ids, cmd.accountId, cmd.input, now),
    wantsEvents(deps.db, cmd.accountId, PAID_ORDER_EVENTS),
  ]);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, cmd.input.product);
  if (!gate.ok) return gate;
  if (!priced.ok) return priced;
  const order = priced.value;

  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  if (split.fromCard === 0) {
    // the hot path: one statement, whose conditional debit is the concurrency guard
    const paid = await payFromBalance(deps, order, 'paid from balance', cmd.idem, now, hooked);
    if (paid) return ok(order);
    // the balance moved under us: fall through to the card, with a fresh read
  }
  return placeWithCard(deps, cmd, order);
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
      at,
    });
  if (!hooked) return (await pay(deps.db)) !== null;
  return deps.db.tx(async (q) => {
    const debit = await pay(q);
    if (debit) await emitOrderPaidEvents(q, deps, order, at);
    return debit !== null;
  });
}

async function placeWithCard(deps: Deps, cmd: PlaceOrderCommand, order: Order): Promise<Result<Order>> {
  if (cmd.idem) {
    // a request under this key may have died after charging the card: finish that payment
    // first, and answer with its order rather than charging a second time
    const earlier = await earlierOrderForKey(deps, cmd.accountId, cmd.idem);
    if (earlier) return earlier;
  }
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  const pm = account.defaultPaymentMethodId
    ? await getPaymentMethod(deps.db, account.defaultPaymentMethodId, account.id)
    : null;
  if (!pm) {
    return err(
      'insufficient_balance',
      'The balance does not cover this order and there is no default payment method',
      {
        detail: { decline_code: 'no_payment_method', balance_short_usd_cents: split.fromCard },
      },
    );
  }
  return chargeThenSettle(
    deps,
    {
      paymentId: deps.ids.next('pay'),
      accountId: account.id,
      paymentMethodId: pm.id,
      gatewayToken: pm.gatewayRef,
      amountCents: split.fromCard,
      purpose: 'order',
      orderId: order.id,
      draft: { order, idem: cmd.idem ?? null },
    },
    (q, payment, at) => settleOrderPayment(deps, q, order, payment, cmd.idem, at),
    cmd.afterCharge,
  );
}

/**
 * The card money enters the balance (covering arrears too) and the order is paid from it, in one
 * transaction; refused if the balance no longer covers it (the caller refunds the card).
 */
export async function settleOrderPayment(
  deps: Deps,
  q: Sql,
  order: Order,
  payment: Payment,
  idem: IdempotencyLink | undefined,
  /** settlement time, read before the transaction (see Settler in card-payment.ts) */
  at: Date,
): Promise<Result<Order>> {
  if (order.product === 'isp') return settleIspOrderPayment(deps, q, order, payment, idem, at);
  const account = await getAccount(q, order.accountId, { forUpdate: true });
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  await moveCash(q, {
    id: deps.ids.next('txn'),
    accountId: account.id,
    amount: payment.amountCents,
    cause: 'card_payment',
    orderId: order.id,
    paymentId: payment.id,
    at,
  });
  const debit = await debitCashIfCovered(q, {
    id: deps.ids.next('txn'),
    accountId: account.id,
    amount: -order.payable,
    cause: 'order',
    orderId: order.id,
    at,
  });
  if (!debit) {
    return err(
      'insufficient_balance',
      'The balance changed while the card was charged; the charge was refunded',
      {
        detail: { decline_code: 'balance_changed' },
      },
    );
  }
  await writePaidOrder(q, deps.ids, order, 'paid from balance and card', idem);
  return ok(order);
}

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
