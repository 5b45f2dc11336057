/**
 * Turns an ISP order request into a priced order draft (SPEC §3, §4, §6): the price book's
 * per-IP monthly price (country, premium ASN surcharge, yearly −10%), one line item for the
 * batch, and the order details of the seed document
 * `{batch_id, quantity, country, city, asn, months, expires_at, price_per_ip, substitution?}`.
 * Nothing is written here.
 */
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import type { SubstitutionRecord } from '../../db/isp-new-batches.ts';
import { listPrices } from '../../db/price-book.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { IspQuote } from '../../domain/isp-pricing.ts';
import { type IspPriceBook, ispPriceBookFromRows, priceIsp } from '../../domain/isp-pricing.ts';
import { type Order, orderTotals } from '../../domain/order.ts';
import type { Ids } from '../../ids.ts';

export type ShortagePolicy = 'fail' | 'wait' | 'substitute';

export interface IspOrderInput {
  product: 'isp';
  country: string;
  city?: string;
  asn?: number;
  quantity: number;
  /** 1 (default) or 12 */
  months?: number;
  /** `sub_…` of the account; default its main subuser */
  subuser?: string;
  /** default 'fail' */
  onShortage?: ShortagePolicy;
  autoRenew?: boolean;
}

/** The money terms of an ISP line: per IP per month, and the line's amounts. */
export type IspAmounts = Pick<IspQuote, 'unitPrice' | 'original' | 'discount' | 'payable'>;

export async function loadIspPriceBook(q: Sql): Promise<IspPriceBook> {
  return ispPriceBookFromRows(await listPrices(q, 'isp'));
}

export interface IspOrderShape {
  orderId: string;
  lineId: string;
  batchId: string;
  accountId: string;
  country: string;
  /** the place delivered (or, while waiting, requested) */
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  amounts: IspAmounts;
  status: 'provisioning' | 'waiting_inventory';
  /** the batch's first period: null while waiting for stock */
  startsAt: Date | null;
  expiresAt: Date | null;
  substitution: SubstitutionRecord | null;
  createdAt: Date;
}

/** The ISP order envelope, paid (the payment is what writes it). */
export function buildIspOrder(s: IspOrderShape): Order {
  const config = {
    country: s.country,
    city: s.city,
    asn: s.asn,
    quantity: s.quantity,
    months: s.months,
    price_per_ip: s.amounts.unitPrice,
  };
  const line = {
    id: s.lineId,
    product: 'isp',
    config,
    previousConfig: null,
    paymentMode: 'prepaid' as const,
    duration: `P${s.months}M`,
    instanceId: s.batchId,
    status: 'paid' as const,
    quantity: s.quantity,
    unitPrice4: s.amounts.unitPrice,
    original: s.amounts.original,
    discount: s.amounts.discount,
    voucher: 0,
    payable: s.amounts.payable,
    paid: s.amounts.payable,
    startsAt: s.startsAt,
    endsAt: s.expiresAt,
  };
  return {
    id: s.orderId,
    accountId: s.accountId,
    product: 'isp',
    type: 'new',
    status: s.status,
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...orderTotals([line]),
    refunded: 0,
    details: {
      batch_id: s.batchId,
      quantity: s.quantity,
      country: s.country,
      city: s.city,
      asn: s.asn,
      months: s.months,
      expires_at: s.expiresAt?.toISOString() ?? null,
      price_per_ip: s.amounts.unitPrice,
      ...(s.substitution ? { substitution: s.substitution } : {}),
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: s.createdAt,
    updatedAt: s.createdAt,
  };
}

/** The amounts of an ISP order draft's line (what the customer is charged). */
export function amountsOf(order: Order): IspAmounts {
  const line = order.lines[0];
  if (!line) throw new Error(`order ${order.id} has no line item`);
  return {
    unitPrice: line.unitPrice4,
    original: line.original,
    discount: line.discount,
    payable: line.payable,
  };
}

/**
 * An ISP order draft as if delivered now from the requested place: status provisioning, paid,
 * expiring `months` on. Checks and errors are priceIsp's (city_not_selectable,
 * quantity_out_of_range, invalid_request).
 */
export async function priceIspOrder(
  q: Sql,
  ids: Ids,
  accountId: string,
  input: IspOrderInput,
  now: Date,
  book?: IspPriceBook,
  /** the account's ISP contract discount in basis points when the caller has it; else read */
  contractBp?: number,
): Promise<Result<Order>> {
  const months = input.months ?? 1;
  const [prices, bp] = await Promise.all([
    book ?? loadIspPriceBook(q),
    contractBp ?? contractDiscountBasisPoints(q, accountId, 'isp'),
  ]);
  const quote = priceIsp(
    {
      country: input.country,
      ...(input.city !== undefined ? { city: input.city } : {}),
      ...(input.asn !== undefined ? { asn: input.asn } : {}),
      quantity: input.quantity,
      months,
    },
    prices,
  );
  if (!quote.ok) return quote;
  return ok(
    buildIspOrder({
      orderId: ids.next('ord'),
      lineId: ids.next('oli'),
      batchId: ids.next('bat'),
      accountId,
      country: input.country,
      city: input.city ?? null,
      asn: input.asn ?? null,
      quantity: input.quantity,
      months,
      // the contract discount on top of the yearly one (domain/contract-discount.ts)
      amounts: withContractDiscount(quote.value, bp),
      status: 'provisioning',
      startsAt: now,
      expiresAt: addMonths(now, months),
      substitution: null,
      createdAt: now,
    }),
  );
}

/**
 * What a substituted delivery costs: the lower of the price asked for and the price of the
 * delivered ASN (same country, so only the premium-ASN surcharge can differ). A substitute never
 * costs more than the request, and a premium carrier that was asked for but not delivered is not
 * charged.
 */
export function substitutedAmounts(
  book: IspPriceBook,
  requested: IspAmounts,
  place: { country: string; asn: number; quantity: number; months: number },
  /** the account's ISP contract discount (basis points) the request was priced with */
  contractBp = 0,
): IspAmounts {
  const delivered = priceIsp(
    { country: place.country, asn: place.asn, quantity: place.quantity, months: place.months },
    book,
  );
  if (!delivered.ok) return requested;
  const { unitPrice, original, discount, payable } = withContractDiscount(delivered.value, contractBp);
  if (payable >= requested.payable) return requested;
  return { unitPrice, original, discount, payable };
}
