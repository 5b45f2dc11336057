/**
 * Pricing a reserved-instance coupon purchase (SPEC §7): `{"product":"reserved_instance", spec,
 * count, years}` is a prepaid `new` order of one line, monthly price × 10 (1 year) or × 24 (3 years)
 * × count (domain/server-specs.ts couponAmount), with the account's contract discount on
 * reserved_instance on top (domain/contract-discount.ts). The coupon's id is chosen here and
 * carried in the order (details and the line's instance_id), so the paying transaction — the
 * request's or crash recovery's — creates exactly that coupon. Nothing is written here.
 */
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { listPrices } from '../../db/price-book.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type Order, orderTotals } from '../../domain/order.ts';
import {
  type CouponYears,
  computePower,
  couponAmount,
  couponUnitPrice,
  isCouponYears,
  isServerSpec,
  type ServerPriceBook,
  type ServerSpec,
  serverPriceBookFromRows,
} from '../../domain/server-specs.ts';
import type { Ids } from '../../ids.ts';

export const COUPON_COUNT_MIN = 1;
export const COUPON_COUNT_MAX = 1_000;

export interface CouponOrderInput {
  product: 'reserved_instance';
  spec: ServerSpec;
  count: number;
  years: CouponYears;
}

/** The server price book (product 'server' rows; the spec's defaults for rows not there). */
export async function loadServerPriceBook(q: Sql): Promise<ServerPriceBook> {
  const rows = await listPrices(q, 'server');
  return serverPriceBookFromRows(rows.map((r) => ({ code: r.code, unitPrice4: r.unitPrice4 })));
}

/** `years` calendar years after `start` (UTC). */
export function addYears(start: Date, years: number): Date {
  const d = new Date(start.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** A paid-now coupon order draft (status completed, payment paid once taken). */
export async function priceCouponOrder(
  q: Sql,
  ids: Ids,
  accountId: string,
  input: CouponOrderInput,
  now: Date,
  /** the account's contract discount on reserved_instance, when the caller has it; else read */
  contractBp?: number,
): Promise<Result<Order>> {
  if (!isServerSpec(input.spec)) {
    return err('invalid_request', `spec must be one of s1.small, s1.medium, s1.large, s1.xlarge`, {
      param: 'spec',
    });
  }
  if (!isCouponYears(input.years)) return err('invalid_request', 'years must be 1 or 3', { param: 'years' });
  if (
    !Number.isSafeInteger(input.count) ||
    input.count < COUPON_COUNT_MIN ||
    input.count > COUPON_COUNT_MAX
  ) {
    return err(
      'quantity_out_of_range',
      `count must be an integer from ${COUPON_COUNT_MIN} to ${COUPON_COUNT_MAX.toLocaleString('en-US')}`,
      { param: 'count' },
    );
  }
  const [book, bp] = await Promise.all([
    loadServerPriceBook(q),
    contractBp ?? contractDiscountBasisPoints(q, accountId, 'reserved_instance'),
  ]);
  const original = couponAmount(book, input.spec, input.count, input.years);
  const unitPrice = couponUnitPrice(book, input.spec, input.years);
  const amounts = withContractDiscount({ original, discount: 0, payable: original }, bp);
  const couponId = ids.next('ri');
  const endsAt = addYears(now, input.years);
  const power = computePower(input.spec, input.count);
  const line = {
    id: ids.next('oli'),
    product: 'reserved_instance',
    config: {
      spec: input.spec,
      count: input.count,
      years: input.years,
      compute_power: power,
      unit_price: unitPrice,
    },
    previousConfig: null,
    paymentMode: 'prepaid' as const,
    duration: `P${input.years}Y`,
    instanceId: couponId,
    status: 'paid' as const,
    quantity: input.count,
    unitPrice4: unitPrice,
    original: amounts.original,
    discount: amounts.discount,
    voucher: 0,
    payable: amounts.payable,
    paid: amounts.payable,
    startsAt: now,
    endsAt,
  };
  return ok({
    id: ids.next('ord'),
    accountId,
    product: 'reserved_instance',
    type: 'new',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...orderTotals([line]),
    refunded: 0,
    details: {
      reserved_instance_id: couponId,
      spec: input.spec,
      count: input.count,
      years: input.years,
      compute_power: power,
      unit_price: unitPrice,
      starts_at: now.toISOString(),
      ends_at: endsAt.toISOString(),
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  });
}
