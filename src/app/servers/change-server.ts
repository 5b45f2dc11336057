/**
 * `POST /v1/servers/{id}/change {spec, dry_run?}` (SPEC §7 `change`): a prepaid server's spec
 * changes for the rest of its term, the price difference pro-rated to the second
 * (domain/prorate.ts prorateChange): the old configuration's remaining value (what the term is
 * worth, × unused / term) is credited, the new one's (the new spec's price for the same term at
 * today's price book with the contract discount, × unused / term) charged. An upgrade is paid like
 * any order (balance, then the default card; settle-server-term.ts); a downgrade is refunded to
 * the balance with a cash ledger entry (cause `refund`), as unsubscribe does.
 *
 * The `change` order has two line items with the server's id: the old configuration (its
 * remaining value credited) and the new one (previous_config: the old spec), the charge on the new
 * line. Afterwards the term is worth the new spec's price, so a later unsubscribe or change
 * starts from it.
 */

import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { attachResource } from '../../db/idempotency.ts';
import { moveCash } from '../../db/ledger.ts';
import { insertOrder } from '../../db/orders.ts';
import { getServer, type ServerRow } from '../../db/servers.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { LineItem, Order } from '../../domain/order.ts';
import { prorateChange } from '../../domain/prorate.ts';
import { asUnpaid } from '../../domain/quote.ts';
import { isServerSpec, type ServerSpec, serverPrepaidAmount } from '../../domain/server-specs.ts';
import { termSecondsAt } from '../../domain/unsubscribe-value.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { payFromSources } from '../payments/pay-from-sources.ts';
import { resultTx } from '../result-tx.ts';
import { loadServerPriceBook } from './price-server-order.ts';
import { applyTerm, settleServerTerm } from './settle-server-term.ts';

export interface ChangeServerCommand {
  accountId: string;
  serverId: string;
  spec: string;
  dryRun?: boolean;
  idem?: IdempotencyLink;
}

/** A prepaid, running server inside its term, or why it cannot have a term order now. */
export function termOrderable(s: ServerRow, now: Date): Result<{ start: Date; end: Date; months: number }> {
  if (s.status !== 'running') {
    return err('invalid_state', `Server ${s.id} is ${s.status}`, { detail: { status: s.status } });
  }
  if (s.paymentMode !== 'prepaid' || !s.periodStart || !s.periodEnd || !s.termMonths) {
    return err('invalid_state', `Server ${s.id} is postpaid; this applies to prepaid servers`, {
      detail: { status: s.status },
    });
  }
  if (now.getTime() >= s.periodEnd.getTime()) {
    return err('invalid_state', `Server ${s.id}'s term ended at ${s.periodEnd.toISOString()}`, {
      detail: { status: s.status },
    });
  }
  return ok({ start: s.periodStart, end: s.periodEnd, months: s.termMonths });
}

async function priceChange(deps: Deps, q: Sql, cmd: ChangeServerCommand, now: Date): Promise<Result<Order>> {
  if (!isServerSpec(cmd.spec))
    return err('invalid_request', `unknown server spec: ${cmd.spec}`, { param: 'spec' });
  const s = await getServer(q, cmd.serverId, cmd.accountId);
  if (!s) return err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  const term = termOrderable(s, now);
  if (!term.ok) return term;
  if (s.spec === cmd.spec) {
    return err('invalid_request', `Server ${s.id} already is ${cmd.spec}`, { param: 'spec' });
  }
  const newSpec: ServerSpec = cmd.spec;
  const [book, bp] = await Promise.all([
    loadServerPriceBook(q),
    contractDiscountBasisPoints(q, s.accountId, 'server'),
  ]);
  const listPrice = serverPrepaidAmount(book, newSpec, term.value.months);
  const newPeriodPrice = withContractDiscount(
    { original: listPrice, discount: 0, payable: listPrice },
    bp,
  ).payable;
  const { termSeconds, unusedSeconds } = termSecondsAt(term.value.start, term.value.end, now);
  const pr = prorateChange({
    oldPeriodPrice: s.paidCents,
    newPeriodPrice,
    remainingSeconds: unusedSeconds,
    termSeconds,
  });
  const charge = pr.kind === 'charge' ? pr.amount : 0;
  const refund = pr.kind === 'refund' ? pr.amount : 0;
  const oldConfig = { spec: s.spec, payment_mode: 'prepaid', months: term.value.months };
  const base = {
    product: 'server',
    paymentMode: 'prepaid' as const,
    duration: null,
    instanceId: s.id,
    quantity: 1,
    discount: 0,
    voucher: 0,
    paid: 0,
    startsAt: now,
    endsAt: term.value.end,
  };
  const oldLine: LineItem = {
    ...base,
    id: deps.ids.next('oli'),
    config: {
      ...oldConfig,
      configuration: 'old',
      remaining_value_usd_cents: pr.oldRemaining,
      credited: true,
    },
    previousConfig: null,
    status: refund > 0 ? 'refunded' : 'paid',
    unitPrice4: 0,
    original: 0,
    payable: 0,
  };
  const newLine: LineItem = {
    ...base,
    id: deps.ids.next('oli'),
    config: {
      spec: newSpec,
      payment_mode: 'prepaid',
      months: term.value.months,
      configuration: 'new',
      remaining_value_usd_cents: pr.newRemaining,
      unit_price: book.monthly[newSpec],
    },
    previousConfig: oldConfig,
    status: 'paid',
    unitPrice4: book.monthly[newSpec],
    original: charge,
    payable: charge,
    paid: charge,
  };
  return ok({
    id: deps.ids.next('ord'),
    accountId: s.accountId,
    product: 'server',
    type: 'change',
    status: 'completed',
    paymentStatus: refund > 0 ? 'refunded' : 'paid',
    paymentMode: 'prepaid',
    original: charge,
    discount: 0,
    voucher: 0,
    payable: charge,
    paid: charge,
    refunded: refund,
    details: {
      server_id: s.id,
      from_spec: s.spec,
      to_spec: newSpec,
      term_seconds: termSeconds,
      unused_seconds: unusedSeconds,
      old_remaining_usd_cents: pr.oldRemaining,
      new_remaining_usd_cents: pr.newRemaining,
      charge_usd_cents: charge,
      refund_usd_cents: refund,
      ...(refund > 0 ? { refund_to: 'balance' } : {}),
      server_before: { spec: s.spec, period_end: term.value.end.toISOString(), paid_cents: s.paidCents },
      server_after: {
        spec: newSpec,
        period_end: term.value.end.toISOString(),
        paid_cents: newPeriodPrice,
        term_months: term.value.months,
      },
    },
    lines: [oldLine, newLine],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  });
}

export async function changeServer(deps: Deps, cmd: ChangeServerCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await priceChange(deps, deps.db, cmd, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  if (cmd.dryRun) return ok(order.payable > 0 ? asUnpaid(order) : order);
  if (order.payable > 0) {
    return payFromSources(
      deps,
      { accountId: cmd.accountId, order, vouchers: [], now, idem: cmd.idem, draft: { order } },
      (q, card, at) => settleServerTerm(deps, q, { order, vouchers: [], card, idem: cmd.idem, at }),
    );
  }
  return resultTx(deps.db, async (q) => {
    const applied = await applyTerm(q, order, now);
    if (!applied.ok) return applied;
    await insertOrder(
      q,
      order,
      order.refunded > 0 ? 'downgrade: difference refunded to the balance' : 'spec changed',
    );
    if (order.refunded > 0) {
      await moveCash(q, {
        id: deps.ids.next('txn'),
        accountId: order.accountId,
        amount: order.refunded,
        cause: 'refund',
        orderId: order.id,
        memo: `change ${order.details.server_id as string}: downgrade pro-rated to the end of the term`,
        at: now,
      });
    }
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'order', order.id);
    return ok(order);
  });
}
