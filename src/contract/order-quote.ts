/**
 * Dry runs of orders (SPEC §4 "Quote first"): the envelope an order would get, how it would be
 * paid and which checks would refuse it now — for a new order (POST /v1/orders/quote) and for an
 * ISP renewal (POST /v1/isp/batches/{id}/renew with dry_run).
 */
import { z } from 'zod';
import type { IspQuote } from '../domain/isp-pricing.ts';
import type { Cents } from '../domain/money.ts';
import type { Order } from '../domain/order.ts';
import { money, unitPrice } from './fields.ts';
import { substitutionSchema } from './isp-batch.ts';
import { price, usd } from './json.ts';
import { orderSchema, presentOrder } from './order.ts';

const checks = z
  .array(z.object({ code: z.string().describe('the error code the order would get'), message: z.string() }))
  .describe('what would refuse the order now; empty when it would go through');

const stockOutcome = z.enum(['provisioning', 'waiting_inventory', 'substitute', 'insufficient']);

const stockPreview = z
  .object({
    available: z.number().int().describe('available at the requested place'),
    outcome: stockOutcome,
    substitution: substitutionSchema.nullable().describe('on_shortage substitute: what would be delivered'),
  })
  .describe('ISP: what the stock would do with the order now');

export const orderQuoteSchema = orderSchema
  .extend({
    object: z.literal('order_quote'),
    payment: z.object({
      from_voucher_usd: money,
      from_balance_usd: money,
      from_card_usd: money,
      arrears_covered_usd: money.describe('arrears the card would also pay'),
    }),
    checks,
    stock: stockPreview.optional(),
  })
  .meta({ id: 'OrderQuote' });

export const renewalQuoteSchema = orderSchema
  .extend({
    object: z.literal('order_quote'),
    pricing: z.object({
      formula: z.string(),
      base_price_usd: unitPrice,
      asn_surcharge_usd: unitPrice,
      unit_price_usd: unitPrice,
      quantity: z.number().int(),
      months: z.number().int(),
      original_usd: money,
      discount_usd: money,
      payable_usd: money,
    }),
    payment: z.object({ from_balance_usd: money, from_card_usd: money, arrears_covered_usd: money }),
    checks,
  })
  .meta({ id: 'RenewalQuote' });

interface CheckInput {
  code: string;
  message: string;
}

export function presentOrderQuote(q: {
  order: Order;
  payment: { fromVoucher: Cents; fromBalance: Cents; fromCard: Cents; arrearsCovered: Cents };
  checks: CheckInput[];
  stock?: z.infer<typeof stockPreview> | undefined;
}): z.infer<typeof orderQuoteSchema> {
  return {
    ...presentOrder(q.order),
    object: 'order_quote',
    payment: {
      from_voucher_usd: usd(q.payment.fromVoucher),
      from_balance_usd: usd(q.payment.fromBalance),
      from_card_usd: usd(q.payment.fromCard),
      arrears_covered_usd: usd(q.payment.arrearsCovered),
    },
    checks: q.checks.map((c) => ({ code: c.code, message: c.message })),
    ...(q.stock
      ? {
          stock: {
            available: q.stock.available,
            outcome: q.stock.outcome,
            substitution: q.stock.substitution,
          },
        }
      : {}),
  };
}

export function presentRenewalQuote(q: {
  order: Order;
  terms: IspQuote;
  payment: { fromBalance: Cents; fromCard: Cents; arrearsCovered: Cents };
  checks: CheckInput[];
}): z.infer<typeof renewalQuoteSchema> {
  return {
    ...presentOrder(q.order),
    object: 'order_quote',
    pricing: {
      formula: 'unit_price × quantity × months − yearly discount (10% when months = 12)',
      base_price_usd: price(q.terms.basePrice),
      asn_surcharge_usd: price(q.terms.surcharge),
      unit_price_usd: price(q.terms.unitPrice),
      quantity: q.terms.quantity,
      months: q.terms.months,
      original_usd: usd(q.terms.original),
      discount_usd: usd(q.terms.discount),
      payable_usd: usd(q.terms.payable),
    },
    payment: {
      from_balance_usd: usd(q.payment.fromBalance),
      from_card_usd: usd(q.payment.fromCard),
      arrears_covered_usd: usd(q.payment.arrearsCovered),
    },
    checks: q.checks.map((c) => ({ code: c.code, message: c.message })),
  };
}
