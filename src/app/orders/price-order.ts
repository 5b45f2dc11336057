/**
 * Turns an order request into a priced order draft: line items with their amounts, the order's
 * totals (sums of the lines) and the details the API shows. Nothing is written here.
 */
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { listPrices, type PriceRow } from '../../db/price-book.ts';
import {
  type BandwidthProduct,
  type PlanCode,
  type PlanPrice,
  priceBandwidth,
} from '../../domain/bandwidth-pricing.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type Order, orderTotals } from '../../domain/order.ts';
import type { Ids } from '../../ids.ts';
import { type CouponOrderInput, priceCouponOrder } from '../coupons/price-coupon-order.ts';
import { type IspOrderInput, priceIspOrder } from '../isp/price-isp-order.ts';

export interface BandwidthOrderInput {
  product: BandwidthProduct;
  gb: number;
  plan?: PlanCode;
  /** who placed the order when not the customer: "auto_top_up" (app/auto-top-ups), shown in details */
  source?: 'auto_top_up';
}

export type OrderInput = BandwidthOrderInput | IspOrderInput | CouponOrderInput;

/** Bytes in one GB of traffic: decimal gigabytes, as traffic is sold. */
export { BYTES_PER_GB } from '../../domain/traffic.ts';

export async function loadBandwidthPrices(q: Sql, product: string): Promise<PlanPrice[]> {
  return toPlanPrices(await listPrices(q, product));
}

/** Price book rows of a bandwidth product as the plans priceBandwidth chooses from. */
export function toPlanPrices(rows: readonly PriceRow[]): PlanPrice[] {
  return rows.map((r) => ({
    product: r.product,
    plan: r.code as PlanCode,
    minQuantity: r.minQuantity,
    unitPrice: r.unitPrice4,
  }));
}

/** A paid-now, fulfilled-at-once bandwidth order draft (status completed, payment paid). */
export async function priceOrder(
  q: Sql,
  ids: Ids,
  accountId: string,
  input: OrderInput,
  now: Date,
  /** the bandwidth product's prices when the caller has them (app/orders/cached-prices.ts); else read */
  prices?: readonly PlanPrice[],
  /** the account's contract discount on the product, in basis points, when the caller has it; else read */
  contractBp?: number,
): Promise<Result<Order>> {
  if (input.product === 'isp') return priceIspOrder(q, ids, accountId, input, now, undefined, contractBp);
  if (input.product === 'reserved_instance')
    return priceCouponOrder(q, ids, accountId, input, now, contractBp);
  if (input.product !== 'residential' && input.product !== 'mobile') {
    return err('invalid_request', `unknown product ${String((input as { product: unknown }).product)}`, {
      param: 'product',
    });
  }
  const [plans, bp] = await Promise.all([
    prices ?? loadBandwidthPrices(q, input.product),
    contractBp ?? contractDiscountBasisPoints(q, accountId, input.product),
  ]);
  const quote = priceBandwidth(input, plans);
  if (!quote.ok) return quote;
  // the contract discount on top of the plan tier (domain/contract-discount.ts)
  const p = withContractDiscount(quote.value, bp);
  const config = { gb: p.gb, plan: p.plan, price_per_gb: p.unitPrice };
  const line = {
    id: ids.next('oli'),
    product: input.product,
    config,
    previousConfig: null,
    paymentMode: 'prepaid' as const,
    duration: null,
    instanceId: null,
    status: 'paid' as const,
    quantity: p.gb,
    unitPrice4: p.unitPrice,
    original: p.original,
    discount: p.discount,
    voucher: 0,
    payable: p.payable,
    paid: p.payable,
    startsAt: now,
    endsAt: null,
  };
  const totals = orderTotals([line]);
  return ok({
    id: ids.next('ord'),
    accountId,
    product: input.product,
    type: 'new',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...totals,
    refunded: 0,
    details: {
      gb: p.gb,
      plan: p.plan,
      price_per_gb: p.unitPrice,
      ...(input.source ? { source: input.source } : {}),
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  });
}

/** An order draft read back from JSON (a payment's draft): dates revived. */
export function reviveOrder(json: unknown): Order {
  const o = json as Order & { createdAt: string; updatedAt: string };
  const date = (d: unknown) => (d == null ? null : new Date(d as string));
  return {
    ...o,
    createdAt: new Date(o.createdAt),
    updatedAt: new Date(o.updatedAt),
    unpaidCancelAt: date(o.unpaidCancelAt),
    lines: o.lines.map((l) => ({ ...l, startsAt: date(l.startsAt), endsAt: date(l.endsAt) })),
  };
}
