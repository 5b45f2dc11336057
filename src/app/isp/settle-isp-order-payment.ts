import { getAccount } from '../../db/accounts.ts';
import { err, ok } from '../../domain/errors.ts';
import { orderGate } from '../../domain/order-gate.ts';
import { draftVouchers, type OrderPaymentSettler } from '../payments/take-payment.ts';
import type { IspRequest } from './allocate-stock.ts';
import { fulfilIspOrder } from './fulfil-isp-order.ts';
import { loadIspPriceBook } from './price-isp-order.ts';

function isIspRequest(x: unknown): x is IspRequest {
  const r = x as IspRequest | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.country === 'string' &&
    typeof r.quantity === 'number' &&
    typeof r.months === 'number' &&
    typeof r.subuserId === 'string' &&
    (r.onShortage === 'fail' || r.onShortage === 'wait' || r.onShortage === 'substitute')
  );
}

/**
 * Settles a card payment for an ISP order (also from crash recovery, through settleOrderPayment):
 * the card money enters the balance and the order is paid from it and gets its stock, in the
 * settling transaction. Refused (and the card refunded by the caller) when the stock or the
 * balance is no longer there. The stock is claimed first (allocateStock, in fulfilIspOrder), then
 * the account is locked and gated: an order's claim in flight may be waiting for that account's
 * lock, so taking it before the claim could close a cycle of waits.
 */
export const settleIspOrderPayment: OrderPaymentSettler = async (deps, q, order, payment, idem, at) => {
  const req = (payment.draft as { isp?: unknown } | null)?.isp;
  if (!isIspRequest(req)) return err('invalid_state', `payment ${payment.id} has no ISP order to settle`);
  // refused before anything is claimed, as before; checked again under the account's lock below
  const seen = await getAccount(q, order.accountId);
  if (!seen) return err('not_found', 'no such account');
  const early = orderGate(seen, 'isp');
  if (!early.ok) return early;
  const book = await loadIspPriceBook(q);
  const vouchers = draftVouchers(payment);
  return fulfilIspOrder(deps, q, {
    draft: order,
    req,
    book,
    vouchers,
    card: payment,
    idem,
    at,
    gate: async () => {
      const account = await getAccount(q, order.accountId, { forUpdate: true });
      if (!account) return err('not_found', 'no such account');
      const gate = orderGate(account, 'isp');
      return gate.ok ? ok(undefined) : gate;
    },
  });
};
