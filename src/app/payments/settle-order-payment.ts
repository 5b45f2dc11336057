import { ok } from '../../domain/errors.ts';
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
  takeGatedPayment,
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
  const paid = await takeGatedPayment(deps, q, { order, vouchers, card: payment, idem, at });
  if (!paid.ok) return paid;
  await writePaidOrder(q, deps.ids, paid.value, paidCause(paid.value, true), idem);
  return ok(paid.value);
};
