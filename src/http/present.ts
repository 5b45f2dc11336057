/** API shapes of domain objects: snake_case, typed ids, USD amounts with two decimals. */
import type { Account } from '../db/accounts.ts';
import type { LedgerEntry } from '../db/ledger.ts';
import type { LineItem, Order, OrderEvent } from '../domain/order.ts';
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

/** A cursor page: fetch limit + 1 rows, show limit, has_more tells whether there are more. */
export function page<T, U>(rows: T[], limit: number, present: (t: T) => U) {
  return { object: 'list' as const, data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}
