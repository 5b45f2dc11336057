/**
 * Settles the card payment of an order, whatever kind of order its draft describes: the request's
 * own settlement goes straight to the settler of its kind; crash recovery (recover-payments.ts)
 * comes here, knowing only the payment.
 */
import { getAccount } from '../../db/accounts.ts';
import { err, ok } from '../../domain/errors.ts';
import { orderGate } from '../../domain/order-gate.ts';
import { isCouponPurchase, settleCouponOrderPayment } from '../coupons/settle-coupon-order.ts';
import { settleIspOrderPayment } from '../isp/settle-isp-order-payment.ts';
import { isRenewDraft, settleRenewalPayment } from '../isp/settle-renewal.ts';
import { settlePendingOrderPayment } from '../orders/settle-pending-order-payment.ts';
import { writePaidOrder } from '../orders/write-paid-order.ts';
import { settleServerOrderPayment } from '../servers/settle-server-order.ts';
import {
  draftVouchers,
  isPayLaterDraft,
  type OrderPaymentSettler,
  paidCause,
  takePayment,
} from './take-payment.ts';

/**
 * The card money enters the balance (covering arrears too) and the order is paid from it, in one
 * transaction; refused if the balance no longer covers it (the caller refunds the card).
 */
export const settleOrderPayment: OrderPaymentSettler = async (deps, q, order, payment, idem, at) => {
  // `at`: the settlement time, read before the transaction (see Settler in charge-then-settle.ts)
  const vouchers = draftVouchers(payment);
  if (isPayLaterDraft(payment)) {
    return settlePendingOrderPayment(deps, q, order, vouchers, payment, idem, at);
  }
  if (isRenewDraft(payment)) return settleRenewalPayment(deps, q, order, payment, idem, at);
  if (order.product === 'isp') return settleIspOrderPayment(deps, q, order, payment, idem, at);
  if (order.product === 'server') return settleServerOrderPayment(deps, q, order, payment, idem, at);
  if (isCouponPurchase(order)) return settleCouponOrderPayment(deps, q, order, payment, idem, at);
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
