/**
 * POST /v1/orders with pay now (SPEC §4, §5): price the order, then pay it from the balance, or
 * from the balance and the default card for the rest (card charges outside the transaction, see
 * card-payment.ts). On any failure nothing stays taken.
 */
import { type Account, getAccount } from '../db/accounts.ts';
import type { Sql } from '../db/client.ts';
import { attachResource } from '../db/idempotency.ts';
import { debitCashIfCovered, moveCash, movePool } from '../db/ledger.ts';
import { insertOrder } from '../db/orders.ts';
import { getPaymentMethod, type Payment } from '../db/payments.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Order } from '../domain/order.ts';
import { splitPayment } from '../domain/payment-split.ts';
import type { Ids } from '../ids.ts';
import { chargeThenSettle } from './card-payment.ts';
import type { Deps, IdempotencyLink } from './deps.ts';
import { BYTES_PER_GB, needsKyc, type OrderInput, priceOrder } from './price-order.ts';

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
}

export async function placeOrder(deps: Deps, cmd: PlaceOrderCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, cmd.input.product);
  if (!gate.ok) return gate;
  const priced = await priceOrder(deps.db, deps.ids, account.id, cmd.input, now);
  if (!priced.ok) return priced;
  const order = priced.value;

  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  if (split.fromCard === 0) {
    // the hot path: one transaction, the conditional debit is the concurrency guard
    const paid = await deps.db.tx(async (q) => {
      const debit = await debitCashIfCovered(q, {
        id: deps.ids.next('txn'),
        accountId: account.id,
        amount: -order.payable,
        cause: 'order',
        orderId: order.id,
        at: now,
      });
      if (!debit) return false;
      await writePaidOrder(q, deps.ids, order, 'paid from balance', cmd.idem);
      return true;
    });
    if (paid) return ok(order);
    // the balance moved under us: fall through to the card, with a fresh read
    return placeWithCard(deps, cmd, order);
  }
  return placeWithCard(deps, cmd, order);
}

async function placeWithCard(deps: Deps, cmd: PlaceOrderCommand, order: Order): Promise<Result<Order>> {
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
    (q, payment) => settleOrderPayment(deps, q, order, payment, cmd.idem),
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
  idem?: IdempotencyLink,
): Promise<Result<Order>> {
  const account = await getAccount(q, order.accountId, { forUpdate: true });
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const at = await deps.clock.now();
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
