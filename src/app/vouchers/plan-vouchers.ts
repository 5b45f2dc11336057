/**
 * Vouchers named in an order (SPEC §5): checked, applied first (domain/voucher-split.ts) and spent
 * in the paying transaction as ledger entries (asset `voucher:<id>`, negative, cause `order`,
 * order_id = the order; ledger.moveVoucher, whose conditional decrement is the concurrency guard).
 *
 * Every refusal is `422 voucher_invalid` with `param: "vouchers"` and `reason` (with `voucher`, the
 * id) in the error: `duplicate`, `not_found` (another account's voucher looks exactly like an
 * unknown one), `expired`, `used_up` or `product_mismatch`. Nothing is taken on a refusal.
 */
import type { Sql } from '../../db/client.ts';
import { moveVoucher } from '../../db/ledger.ts';
import { findVouchers } from '../../db/vouchers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type Cents, sum } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import { applyVoucherToLines, takeVouchers, type VoucherTake } from '../../domain/voucher-split.ts';
import type { Ids } from '../../ids.ts';
import { voucherStatus } from './issue-voucher.ts';

export type VoucherRefusal = 'duplicate' | 'not_found' | 'expired' | 'used_up' | 'product_mismatch';

function voucherInvalid(id: string, reason: VoucherRefusal, message: string) {
  return err('voucher_invalid', message, { param: 'vouchers', detail: { reason, voucher: id } });
}

/**
 * The takes of the named vouchers for an order of `product` with `payable` before vouchers: each,
 * in order, min(its remaining, what is still payable). Read under FOR UPDATE with `lock`.
 */
export async function planVouchers(
  q: Sql,
  p: { accountId: string; product: string; ids: readonly string[]; payable: Cents; now: Date; lock: boolean },
): Promise<Result<VoucherTake[]>> {
  if (p.ids.length === 0) return ok([]);
  const seen = new Set<string>();
  for (const id of p.ids) {
    if (seen.has(id)) return voucherInvalid(id, 'duplicate', `voucher ${id} is named twice`);
    seen.add(id);
  }
  const found = new Map(
    (await findVouchers(q, p.accountId, p.ids, { lock: p.lock })).map((v) => [v.id, v] as const),
  );
  const usable: { id: string; remaining: Cents }[] = [];
  for (const id of p.ids) {
    const v = found.get(id);
    if (!v) return voucherInvalid(id, 'not_found', `No such voucher: ${id}`);
    const status = voucherStatus(v, p.now);
    if (status === 'expired') {
      return voucherInvalid(id, 'expired', `voucher ${id} expired at ${v.expiresAt.toISOString()}`);
    }
    if (status === 'used_up') return voucherInvalid(id, 'used_up', `voucher ${id} is used up`);
    if (v.products !== null && !v.products.includes(p.product)) {
      return voucherInvalid(
        id,
        'product_mismatch',
        `voucher ${id} pays for ${v.products.join(', ')} only, not ${p.product}`,
      );
    }
    usable.push({ id, remaining: v.remainingCents });
  }
  return ok(takeVouchers(p.payable, usable));
}

/** What an order's lines come to before any voucher: Σ original − discount. */
export function payableBeforeVouchers(order: Order): Cents {
  return sum(order.lines.map((l) => l.original - l.discount));
}

/** The order with a voucher deduction of `total` split over its lines (replacing any earlier one). */
export function withVouchers(order: Order, total: Cents, paid: boolean): Order {
  const { lines, totals } = applyVoucherToLines(order.lines, total, { paid });
  return { ...order, ...totals, lines };
}

/**
 * Spends the takes, inside the paying transaction: one ledger entry per voucher that pays a part.
 * A voucher spent meanwhile (the conditional decrement refused) is `used_up`: roll back.
 */
export async function spendVouchers(
  q: Sql,
  ids: Ids,
  s: { accountId: string; orderId: string; takes: readonly VoucherTake[]; at: Date },
): Promise<Result<void>> {
  for (const t of s.takes) {
    if (t.amount === 0) continue;
    const entry = await moveVoucher(q, {
      id: ids.next('txn'),
      accountId: s.accountId,
      voucherId: t.id,
      amount: -t.amount,
      cause: 'order',
      orderId: s.orderId,
      at: s.at,
    });
    if (!entry) return voucherInvalid(t.id, 'used_up', `voucher ${t.id} was used up meanwhile`);
  }
  return ok(undefined);
}
