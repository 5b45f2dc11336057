/**
 * Pricing a new server (SPEC §7): the `new` order a `{"product":"server", …}` body places, with
 * its one line item for the instance it creates (`ins_…`). Prepaid: monthly price × months (1 or
 * 12; the spec gives servers no yearly discount) with the account's contract discount on top,
 * for the term [now, now + months). Postpaid: nothing payable now (billed hourly afterwards); the
 * line records the hourly price.
 */
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { listPrices } from '../../db/price-book.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type LineItem, type Order, orderTotals } from '../../domain/order.ts';
import {
  isServerSpec,
  type ServerPriceBook,
  type ServerSpec,
  serverPrepaidAmount,
  serverPriceBookFromRows,
} from '../../domain/server-specs.ts';
import type { Ids } from '../../ids.ts';

export const SERVER_MONTHS = [1, 12] as const;

export interface ServerOrderInput {
  product: 'server';
  spec: ServerSpec;
  paymentMode: 'prepaid' | 'postpaid';
  /** prepaid only: 1 or 12 (default 1) */
  months?: number;
}

export async function loadServerPriceBook(q: Sql): Promise<ServerPriceBook> {
  const rows = await listPrices(q, 'server');
  return serverPriceBookFromRows(rows.map((r) => ({ code: r.code, unitPrice4: r.unitPrice4 })));
}

/** The `new` order for a server, as it would be paid (payment status pending until taken). */
export async function priceServerOrder(
  q: Sql,
  ids: Ids,
  accountId: string,
  input: ServerOrderInput,
  now: Date,
): Promise<Result<Order>> {
  if (!isServerSpec(input.spec)) {
    return err('invalid_request', `unknown server spec: ${String(input.spec)}`, { param: 'spec' });
  }
  const prepaid = input.paymentMode === 'prepaid';
  const months = input.months ?? 1;
  if (prepaid && !(SERVER_MONTHS as readonly number[]).includes(months)) {
    return err('invalid_request', 'months must be 1 or 12', { param: 'months' });
  }
  if (!prepaid && input.months !== undefined) {
    return err('invalid_request', 'months applies to prepaid servers only', { param: 'months' });
  }
  const [book, contractBp] = await Promise.all([
    loadServerPriceBook(q),
    prepaid ? contractDiscountBasisPoints(q, accountId, 'server') : Promise.resolve(0),
  ]);
  const serverId = ids.next('ins');
  const endsAt = prepaid ? addMonths(now, months) : null;
  const original = prepaid ? serverPrepaidAmount(book, input.spec, months) : 0;
  const amounts = withContractDiscount({ original, discount: 0, payable: original }, contractBp);
  const unitPrice4 = prepaid ? book.monthly[input.spec] : book.hourly[input.spec];
  const config: Record<string, unknown> = prepaid
    ? { spec: input.spec, payment_mode: 'prepaid', months, unit_price: unitPrice4 }
    : { spec: input.spec, payment_mode: 'postpaid', billed: 'hourly', unit_price: unitPrice4 };
  const line: LineItem = {
    id: ids.next('oli'),
    product: 'server',
    config,
    previousConfig: null,
    paymentMode: input.paymentMode,
    duration: prepaid ? `P${months}M` : null,
    instanceId: serverId,
    status: 'pending_payment',
    quantity: 1,
    unitPrice4,
    original: amounts.original,
    discount: amounts.discount,
    voucher: 0,
    payable: amounts.payable,
    paid: 0,
    startsAt: now,
    endsAt,
  };
  return ok({
    id: ids.next('ord'),
    accountId,
    product: 'server',
    type: 'new',
    status: 'pending_payment',
    paymentStatus: 'pending_payment',
    paymentMode: input.paymentMode,
    ...orderTotals([line]),
    refunded: 0,
    details: {
      server_id: serverId,
      spec: input.spec,
      payment_mode: input.paymentMode,
      ...(prepaid ? { months, period_start: now.toISOString(), period_end: endsAt!.toISOString() } : {}),
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  });
}
