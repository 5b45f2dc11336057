/**
 * `POST /v1/servers/{id}/renew {months, dry_run?}` (SPEC §7 `renew`): a prepaid server's term is
 * extended by 1 or 12 months at today's monthly price with the contract discount, paid like any
 * order (settle-server-term.ts). The line runs from the current end to the new one; the term's
 * value grows by what the renewal costs, so unsubscribe afterwards refunds a share of the whole.
 */
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { getServer } from '../../db/servers.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { type LineItem, type Order, orderTotals } from '../../domain/order.ts';
import { asUnpaid } from '../../domain/quote.ts';
import { type ServerSpec, serverPrepaidAmount } from '../../domain/server-specs.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { termOrderable } from './change-server.ts';
import { payServerChange } from './pay-server-change.ts';
import { loadServerPriceBook, SERVER_MONTHS } from './price-server-order.ts';
import { settleServerTerm } from './settle-server-term.ts';

export interface RenewServerCommand {
  accountId: string;
  serverId: string;
  months: number;
  dryRun?: boolean;
  idem?: IdempotencyLink;
}

async function priceRenewal(deps: Deps, cmd: RenewServerCommand, now: Date): Promise<Result<Order>> {
  if (!(SERVER_MONTHS as readonly number[]).includes(cmd.months)) {
    return err('invalid_request', 'months must be 1 or 12', { param: 'months' });
  }
  const s = await getServer(deps.db, cmd.serverId, cmd.accountId);
  if (!s) return err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  const term = termOrderable(s, now);
  if (!term.ok) return term;
  // a temporarily upgraded server renews at its base spec (the spec it runs stays as it is)
  const spec = (s.tempBaseSpec ?? s.spec) as ServerSpec;
  const [book, bp] = await Promise.all([
    loadServerPriceBook(deps.db),
    contractDiscountBasisPoints(deps.db, s.accountId, 'server'),
  ]);
  const original = serverPrepaidAmount(book, spec, cmd.months);
  const t = withContractDiscount({ original, discount: 0, payable: original }, bp);
  const newEnd = addMonths(term.value.end, cmd.months);
  const line: LineItem = {
    id: deps.ids.next('oli'),
    product: 'server',
    config: { spec, payment_mode: 'prepaid', months: cmd.months, unit_price: book.monthly[spec] },
    previousConfig: null,
    paymentMode: 'prepaid',
    duration: `P${cmd.months}M`,
    instanceId: s.id,
    status: 'paid',
    quantity: 1,
    unitPrice4: book.monthly[spec],
    original: t.original,
    discount: t.discount,
    voucher: 0,
    payable: t.payable,
    paid: t.payable,
    startsAt: term.value.end,
    endsAt: newEnd,
  };
  return ok({
    id: deps.ids.next('ord'),
    accountId: s.accountId,
    product: 'server',
    type: 'renew',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...orderTotals([line]),
    refunded: 0,
    details: {
      server_id: s.id,
      spec,
      months: cmd.months,
      previous_period_end: term.value.end.toISOString(),
      period_end: newEnd.toISOString(),
      server_before: { spec: s.spec, period_end: term.value.end.toISOString(), paid_cents: s.paidCents },
      server_after: {
        spec: s.spec,
        period_end: newEnd.toISOString(),
        paid_cents: s.paidCents + t.payable,
        term_months: term.value.months + cmd.months,
      },
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  });
}

export async function renewServer(deps: Deps, cmd: RenewServerCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await priceRenewal(deps, cmd, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  if (cmd.dryRun) return ok(asUnpaid(order));
  return payServerChange(deps, cmd, order, now, settleServerTerm);
}
