/**
 * Renewing an ISP batch (SPEC §6 renew, Expiry): `POST /v1/isp/batches/{id}/renew {months}` places
 * a `renew` order for the batch's configuration, priced with renewalPrice at the price book's
 * current prices, and paid like any order (the balance first, the default card for the rest). The
 * order's line runs from the current expiry to the renewed one; the batch's expiry moves on, and a
 * batch `expired` but within its grace period is `ready` again with the same IPs. After the grace
 * period (released) a renewal is 409 invalid_state. The auto-renewal of the expiry sweep
 * (sweep-isp-expiry.ts) is this same use case.
 *
 * The batch row is locked in the paying transaction and the renewal applies only if the batch
 * still expires when it did at pricing time (extendBatch), so two renewals racing never both
 * extend: the second is refused (a card it charged is refunded by chargeThenSettle). The renew
 * order is paid and completed at once: `order.paid` and `order.completed`, in the paying transaction.
 */
import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { type Batch, getBatch } from '../../db/isp-batch-queries.ts';
import { canRenew, renewedExpiry } from '../../domain/batch-lifecycle.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { IspQuote } from '../../domain/isp-pricing.ts';
import { renewalPrice } from '../../domain/isp-pricing.ts';
import { type Order, orderTotals } from '../../domain/order.ts';
import { splitPayment } from '../../domain/payment-split.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { payFromSources } from '../payments/pay-from-sources.ts';
import { loadIspPriceBook } from './price-isp-order.ts';
import { notRenewable, settleRenewal } from './settle-renewal.ts';

export interface RenewBatchCommand {
  accountId: string;
  batchId: string;
  months: number;
  idem?: IdempotencyLink;
  /** the renewal is the expiry sweep's auto-renewal (recorded on the order) */
  auto?: boolean;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

/** The dry run of a renewal: the order it would place, the price's terms and the payment split. */
export interface RenewQuote {
  order: Order;
  terms: IspQuote;
  payment: { fromBalance: number; fromCard: number; arrearsCovered: number };
  checks: { code: string; message: string }[];
}

interface Priced {
  batch: Batch;
  order: Order;
  terms: IspQuote;
  oldExpiresAt: Date;
}

/** The batch (of the account), its renewability now, and the renew order as it would be paid. */
async function price(deps: Deps, q: Sql, cmd: RenewBatchCommand, now: Date): Promise<Result<Priced>> {
  const batch = await getBatch(q, cmd.batchId, cmd.accountId);
  if (!batch) return err('not_found', `No such ISP batch: ${cmd.batchId}`, { param: 'id' });
  if (!batch.expiresAt || !canRenew(batch.status, now, batch.graceUntil)) return notRenewable(batch);
  const [book, contractBp] = await Promise.all([
    loadIspPriceBook(q),
    contractDiscountBasisPoints(q, batch.accountId, 'isp'),
  ]);
  const terms = renewalPrice(
    {
      country: batch.country,
      ...(batch.asn !== null ? { asn: batch.asn } : {}),
      quantity: batch.quantity,
      months: cmd.months,
    },
    book,
  );
  if (!terms.ok) return terms;
  // the account's contract discount at renewal time, on top of the yearly one
  const t = withContractDiscount(terms.value, contractBp);
  const oldExpiresAt = batch.expiresAt;
  const newExpiresAt = renewedExpiry(oldExpiresAt, cmd.months, batch.periodStartedAt ?? undefined);
  const config = {
    country: batch.country,
    city: batch.city,
    asn: batch.asn,
    quantity: batch.quantity,
    months: cmd.months,
    price_per_ip: t.unitPrice,
  };
  const line = {
    id: deps.ids.next('oli'),
    product: 'isp',
    config,
    previousConfig: null,
    paymentMode: 'prepaid' as const,
    duration: `P${cmd.months}M`,
    instanceId: batch.id,
    status: 'paid' as const,
    quantity: batch.quantity,
    unitPrice4: t.unitPrice,
    original: t.original,
    discount: t.discount,
    voucher: 0,
    payable: t.payable,
    paid: t.payable,
    startsAt: oldExpiresAt,
    endsAt: newExpiresAt,
  };
  const order: Order = {
    id: deps.ids.next('ord'),
    accountId: batch.accountId,
    product: 'isp',
    type: 'renew',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...orderTotals([line]),
    refunded: 0,
    details: {
      batch_id: batch.id,
      quantity: batch.quantity,
      country: batch.country,
      city: batch.city,
      asn: batch.asn,
      months: cmd.months,
      previous_expires_at: oldExpiresAt.toISOString(),
      expires_at: newExpiresAt.toISOString(),
      price_per_ip: t.unitPrice,
      ...(batch.status === 'expired' ? { renewed_in_grace: true } : {}),
      ...(cmd.auto ? { auto_renew: true } : {}),
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  };
  return ok({ batch, order, terms: t, oldExpiresAt });
}

/** POST …/renew with dry_run: what the renewal would cost and how it would be paid; nothing moves. */
export async function quoteRenewal(deps: Deps, cmd: RenewBatchCommand): Promise<Result<RenewQuote>> {
  const now = await deps.clock.now();
  const priced = await price(deps, deps.db, cmd, now);
  if (!priced.ok) return priced;
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const { order, terms } = priced.value;
  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  const checks: RenewQuote['checks'] = [];
  if (split.fromCard > 0 && !account.defaultPaymentMethodId) {
    checks.push({
      code: 'insufficient_balance',
      message: 'The balance does not cover this renewal and there is no default payment method',
    });
  }
  return ok({
    order: {
      ...order,
      status: 'pending_payment',
      paymentStatus: 'pending_payment',
      paid: 0,
      lines: order.lines.map((l) => ({ ...l, status: 'pending_payment', paid: 0 })),
    },
    terms,
    payment: {
      fromBalance: split.fromBalance,
      fromCard: split.fromCard,
      arrearsCovered: split.arrearsCovered,
    },
    checks,
  });
}

/** POST …/renew: places and pays the renew order and extends the batch. */
export async function renewBatch(deps: Deps, cmd: RenewBatchCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await price(deps, deps.db, cmd, now);
  if (!priced.ok) return priced;
  const { order, oldExpiresAt } = priced.value;
  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      order,
      vouchers: [],
      now,
      idem: cmd.idem,
      draft: { order, renew: { batch_id: cmd.batchId } },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) => settleRenewal(deps, q, { order, oldExpiresAt, card, idem: cmd.idem, at }),
  );
}
