/** The order and its line items (SPEC §4, §8), as the API, the webhook events and the CLI show them. */
import { z } from 'zod';
import type { LineItem, Order, OrderEvent } from '../domain/order.ts';
import {
  FULFILMENT_STATUSES,
  LINE_ITEM_STATUSES,
  ORDER_TYPES,
  PAYMENT_STATUSES,
} from '../domain/order-states.ts';
import { PRODUCTS, type Product } from '../domain/products.ts';
import { iso, isoOrNull, money, timestamp, unitPrice } from './fields.ts';
import { price, usd } from './json.ts';

const paymentMode = z.enum(['prepaid', 'postpaid']);

const configuration = z
  .record(z.string(), z.unknown())
  .describe(
    'what was bought, by product: bandwidth {gb, plan, price_per_gb}; ISP {batch_id, quantity, country, city, asn, months, expires_at, price_per_ip, substitution?}; unit prices in USD',
  );

/** Detail values that are unit prices (stored in 1/10000 USD) are shown as USD numbers. */
const PRICE_KEYS = new Set(['price_per_gb', 'price_per_ip', 'unit_price']);
/**
 * Detail amounts are stored in cents as `<name>_cents` or `<name>_usd_cents` and shown as
 * `<name>_usd`, at any depth (a server change's `server_before.paid_cents` is `paid_usd`).
 */
const CENTS_KEY = /(_usd)?_cents$/;

function presentDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (typeof v === 'number' && PRICE_KEYS.has(k)) out[k] = price(v);
    else if (typeof v === 'number' && CENTS_KEY.test(k)) out[k.replace(CENTS_KEY, '_usd')] = usd(v);
    else if (v !== null && typeof v === 'object' && !Array.isArray(v))
      out[k] = presentDetails(v as Record<string, unknown>);
    else out[k] = v;
  }
  return out;
}

const lineItemSchema = z
  .object({
    id: z.string(),
    object: z.literal('order_line_item'),
    product: z.enum(PRODUCTS),
    config: configuration,
    previous_config: configuration
      .optional()
      .describe('change, unsubscribe, ri_adjust, temp_upgrade: the configuration before'),
    payment_mode: paymentMode,
    duration: z.string().nullable(),
    instance_id: z.string().nullable().describe('the batch (bat_…) or server the line is for'),
    status: z.enum(LINE_ITEM_STATUSES),
    quantity: z.number().int(),
    unit_price_usd: unitPrice,
    original_usd: money.describe('list price × quantity (× months)'),
    discount_usd: money.describe('plan tier, yearly and contract discounts'),
    voucher_usd: money.describe('paid by vouchers'),
    payable_usd: money.describe('original − discount − voucher'),
    paid_usd: money.describe('cash paid (card + balance): payable once paid, 0 before'),
    starts_at: timestamp.nullable(),
    ends_at: timestamp.nullable(),
  })
  .meta({ id: 'OrderLineItem' });

const orderEventSchema = z.object({
  at: timestamp,
  field: z.enum(['status', 'payment_status']),
  from: z.string().nullable(),
  to: z.string(),
  cause: z.string(),
});

const orderFields = {
  id: z.string(),
  object: z.literal('order'),
  product: z.enum(PRODUCTS),
  type: z.enum(ORDER_TYPES),
  status: z.enum(FULFILMENT_STATUSES).describe('fulfilment'),
  payment_status: z.enum(PAYMENT_STATUSES),
  payment_mode: paymentMode,
  original_usd: money.describe('sum of the line items’ original_usd'),
  discount_usd: money.describe('sum of the line items’ discount_usd'),
  voucher_usd: money.describe('paid by vouchers: sum of the line items’ voucher_usd'),
  total_usd: money.describe('payable: original − discount − voucher'),
  paid_usd: money.describe(
    'cash actually paid, card + balance (vouchers are in voucher_usd): total_usd once paid, 0 before',
  ),
  refunded_usd: money.describe('refunded so far, to every source (card, balance, vouchers)'),
  cancel_at: timestamp
    .nullable()
    .describe(
      'pay-later orders (payment_status pending_payment): when the order is cancelled if still unpaid; null otherwise',
    ),
  details: configuration,
  source: z
    .literal('auto_top_up')
    .optional()
    .describe('who placed the order when not the customer: auto_top_up (SPEC §2); absent otherwise'),
  line_items: z.array(lineItemSchema),
  events: z
    .array(orderEventSchema)
    .optional()
    .describe('every status change with its time and cause (when the order is retrieved by id)'),
  created_at: timestamp,
  updated_at: timestamp,
};

export const orderSchema = z.object(orderFields).meta({ id: 'Order' });

/** The order as operators see it: the customer's envelope plus whose order it is. */
export const adminOrderSchema = z
  .object({ ...orderFields, account: z.string().describe('the account (acc_…)') })
  .meta({ id: 'AdminOrder' });

function presentLineItem(l: LineItem): z.infer<typeof lineItemSchema> {
  return {
    id: l.id,
    object: 'order_line_item',
    // orders are written for the catalog's products only
    product: l.product as Product,
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
    starts_at: isoOrNull(l.startsAt),
    ends_at: isoOrNull(l.endsAt),
  };
}

export function presentOrder(o: Order, events?: OrderEvent[]): z.infer<typeof orderSchema> {
  return {
    id: o.id,
    object: 'order',
    product: o.product as Product,
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
    cancel_at: o.paymentStatus === 'pending_payment' ? isoOrNull(o.unpaidCancelAt) : null,
    details: presentDetails(o.details),
    ...(o.details.source === 'auto_top_up' ? { source: 'auto_top_up' as const } : {}),
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

export function presentAdminOrder(o: Order, events?: OrderEvent[]): z.infer<typeof adminOrderSchema> {
  return { ...presentOrder(o, events), account: o.accountId };
}
