/** API shapes of domain objects: snake_case, typed ids, USD amounts with two decimals. */

import type { StockAlertView } from '../app/inventory/create-stock-alert.ts';
import { type BatchView, batchCredentials } from '../app/isp/batch-view.ts';
import type { Account } from '../db/accounts.ts';
import type { LedgerEntry } from '../db/ledger.ts';
import type { Payment } from '../db/payments.ts';
import { graceUntil } from '../domain/batch-lifecycle.ts';
import { formatUsd, sum } from '../domain/money.ts';
import type { LineItem, Order, OrderEvent } from '../domain/order.ts';
import type { RefundPlan } from '../domain/refund-plan.ts';
import type { Allowances } from '../domain/replacement-quota.ts';
import { price, usd } from './json.ts';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Detail values that are unit prices (stored in 1/10000 USD) are shown as USD numbers. */
const PRICE_KEYS = new Set(['price_per_gb', 'price_per_ip', 'unit_price']);

function presentDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details))
    out[k] = PRICE_KEYS.has(k) && typeof v === 'number' ? price(v) : v;
  return out;
}

export function presentLineItem(l: LineItem) {
  return {
    id: l.id,
    object: 'order_line_item',
    product: l.product,
    config: presentDetails(l.config),
    ...(l.previousConfig ? { previous_config: presentDetails(l.previousConfig) } : {}),
    payment_mode: l.paymentMode,
    duration: l.duration,
    instance_id: l.instanceId,
    status: l.status,
    quantity: l.quantity,
    unit_price_usd: price(l.unitPrice4),
    original_usd: usd(l.original),
    discount_usd: usd(l.discount),
    voucher_usd: usd(l.voucher),
    payable_usd: usd(l.payable),
    paid_usd: usd(l.paid),
    starts_at: iso(l.startsAt),
    ends_at: iso(l.endsAt),
  };
}

export function presentOrder(o: Order, events?: OrderEvent[]) {
  return {
    id: o.id,
    object: 'order',
    product: o.product,
    type: o.type,
    status: o.status,
    payment_status: o.paymentStatus,
    payment_mode: o.paymentMode,
    original_usd: usd(o.original),
    discount_usd: usd(o.discount),
    voucher_usd: usd(o.voucher),
    total_usd: usd(o.payable),
    paid_usd: usd(o.paid),
    refunded_usd: usd(o.refunded),
    details: presentDetails(o.details),
    line_items: o.lines.map(presentLineItem),
    ...(events
      ? {
          events: events.map((e) => ({
            at: iso(e.at),
            field: e.field,
            from: e.from,
            to: e.to,
            cause: e.cause,
          })),
        }
      : {}),
    created_at: iso(o.createdAt),
    updated_at: iso(o.updatedAt),
  };
}

export function presentAccount(a: Account, extra: Record<string, unknown> = {}) {
  return {
    id: a.id,
    object: 'account',
    email: a.email,
    name: a.name,
    balance_usd: usd(a.balanceCents),
    arrears_usd: usd(a.balanceCents < 0 ? -a.balanceCents : 0),
    kyc_status: a.kycStatus,
    status: a.status,
    default_payment_method: a.defaultPaymentMethodId,
    created_at: iso(a.createdAt),
    ...extra,
  };
}

export function presentLedgerEntry(e: LedgerEntry) {
  return {
    id: e.id,
    object: 'transaction',
    amount_usd: usd(e.amount),
    balance_after_usd: usd(e.balanceAfter),
    cause: e.cause,
    order_id: e.orderId,
    payment_id: e.paymentId,
    memo: e.memo,
    created_at: iso(e.createdAt),
  };
}

/** A batch's replacement and refresh allowances for its current billing period. */
export function presentAllowances(a: Allowances) {
  return {
    replacements_used: a.replacements_used,
    replacements_left: a.replacements_left,
    replacements_quota: a.replacements_quota,
    unlimited_until: iso(a.unlimited_until),
    refresh_used: a.refresh_used,
    resets_at: iso(a.resets_at),
  };
}

/** An ISP batch (SPEC §6), as the batch routes show it (the events: presentBatchEvent). */
export function presentBatch(b: BatchView) {
  const creds = batchCredentials(b);
  return {
    id: b.id,
    object: 'isp_batch',
    status: b.status,
    order_id: b.orderId,
    subuser: b.subuserId,
    username: creds.username,
    password: creds.password,
    password_source: b.ownPassword === null ? 'subuser' : 'batch',
    country: b.country,
    city: b.city,
    asn: b.asn,
    quantity: b.quantity,
    months: b.months,
    auto_renew: b.autoRenew,
    substitution: b.substitution,
    period_started_at: iso(b.periodStartedAt),
    expires_at: iso(b.expiresAt),
    // set when the batch expires; until then, when it would end if not renewed
    grace_until: iso(b.graceUntil ?? (b.expiresAt ? graceUntil(b.expiresAt) : null)),
    ready_at: iso(b.readyAt),
    released_at: iso(b.releasedAt),
    allowances: b.allowances ? presentAllowances(b.allowances) : null,
    created_at: iso(b.createdAt),
    updated_at: iso(b.updatedAt),
  };
}

/**
 * An ISP batch as the `isp_batch.*` webhook events carry it: presentBatch without the proxy
 * password. Events go to any URL an endpoint names and stay in the outbox for 3 days, so they
 * carry no credential; the owner reads the password with GET /v1/isp/batches/{id}.
 */
export function presentBatchEvent(b: BatchView) {
  const { password: _password, ...withoutPassword } = presentBatch(b);
  return withoutPassword;
}

/** A stock alert (SPEC §6), as /v1/alerts and the `inventory.available` event show it. */
export function presentAlert(a: StockAlertView) {
  return {
    id: a.id,
    object: 'stock_alert',
    country: a.country,
    city: a.city,
    asn: a.asn,
    minimum: a.minimum,
    armed: a.armed,
    available: a.available,
    last_fired_at: iso(a.lastFiredAt),
    created_at: iso(a.createdAt),
  };
}

/**
 * A card payment (the `payment.failed` event's object): what it paid for (`purpose`, and
 * `order_id` for an order: the id the order has, or would have had — a pay-now order whose card
 * is declined is not created), the amount charged to the card, and why it failed.
 */
export function presentPayment(p: Payment) {
  return {
    id: p.id,
    object: 'payment',
    purpose: p.purpose,
    order_id: p.orderId,
    payment_method: p.paymentMethodId,
    amount_usd: usd(p.amountCents),
    status: p.status,
    failure_code: p.failureCode,
    failure_message: p.failureMessage,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}

/** A cursor page: fetch limit + 1 rows, show limit, has_more tells whether there are more. */
export function page<T, U>(rows: T[], limit: number, present: (t: T) => U) {
  return { object: 'list' as const, data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}

/** A refund plan with every term of its formulas (SPEC §4 dry runs). */
export function presentRefundPlan(p: RefundPlan) {
  const f = formatUsd;
  const vouchers = sum(p.toVouchers.map((v) => v.amount));
  return {
    paid_usd: usd(p.paid),
    paid_by_card_usd: usd(p.paidByCard),
    paid_by_balance_usd: usd(p.paidByBalance),
    paid_by_vouchers_usd: usd(p.paidByVouchers),
    already_refunded_usd: usd(p.alreadyRefunded),
    refundable_usd: usd(p.refundable),
    requested_usd: usd(p.requested),
    to_card_usd: usd(p.toCard),
    card_refunds: p.cardParts.map((c) => ({ payment_id: c.paymentId, amount_usd: usd(c.amount) })),
    to_balance_usd: usd(p.toBalance),
    to_vouchers: p.toVouchers.map((v) => ({
      voucher_id: v.voucherId,
      amount_usd: usd(v.amount),
      forfeited: v.forfeited,
    })),
    forfeited_usd: usd(p.forfeited),
    remaining_usd: usd(p.remaining),
    resulting_payment_status: p.resultingPaymentStatus,
    formula: {
      paid: `${f(p.paidByCard)} card + ${f(p.paidByBalance)} balance + ${f(p.paidByVouchers)} vouchers = ${f(p.paid)}`,
      refundable: `${f(p.paid)} paid − ${f(p.alreadyRefunded)} already refunded = ${f(p.refundable)}`,
      requested: `${f(p.toCard)} to card + ${f(p.toBalance)} to balance + ${f(vouchers)} to vouchers (${f(p.forfeited)} of it forfeited) = ${f(p.requested)}`,
      remaining: `${f(p.refundable)} refundable − ${f(p.requested)} requested = ${f(p.remaining)}`,
    },
  };
}
