/**
 * `POST /v1/servers/{id}/change {spec, dry_run?}` (SPEC §7 `change`): a prepaid server's spec
 * changes for the rest of its term, the price difference pro-rated to the second
 * (domain/prorate.ts prorateChange): the old configuration's remaining value (what the term is
 * worth, × unused / term) is credited, the new one's (the new spec's price for the same term at
 * today's price book with the contract discount, × unused / term) charged. An upgrade is paid like
 * any order (balance, then the default card; settle-server-term.ts); a downgrade is refunded to
 * where the money came from, as unsubscribe does (refund-to-sources.ts), with the spec change.
 *
 * A postpaid server's spec changes from now on (its complete hours are billed at the old spec first,
 * settlement/settle-before-spec-change.ts; later hours at the new one):
 * nothing is charged or refunded at the change; the order's two lines carry the hourly prices.
 * A trial is converted first; a temporarily upgraded server changes after the upgrade ends.
 *
 * The `change` order has two line items with the server's id: the old configuration (its
 * remaining value credited) and the new one (previous_config: the old spec), the charge on the new
 * line. Afterwards the term is worth the new spec's price, so a later unsubscribe or change
 * starts from it.
 */

import type { Sql } from '../../db/client.ts';
import { contractDiscountBasisPoints } from '../../db/contract-discounts.ts';
import { changePostpaidSpec, getServer, type ServerRow, serverTermOrderIds } from '../../db/servers.ts';
import { withContractDiscount } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { LineItem, Order } from '../../domain/order.ts';
import { prorateChange } from '../../domain/prorate.ts';
import { asUnpaid } from '../../domain/quote.ts';
import { isServerSpec, type ServerSpec, serverPrepaidAmount } from '../../domain/server-specs.ts';
import { termSecondsAt } from '../../domain/unsubscribe-value.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { settleBeforeSpecChange } from '../settlement/settle-before-spec-change.ts';
import { payServerChange } from './pay-server-change.ts';
import { loadServerPriceBook } from './price-server-order.ts';
import { finishRefundingOrder, writeRefundingOrder } from './refund-to-sources.ts';
import { applyTerm, movedMeanwhile, settleServerTerm } from './settle-server-term.ts';
import { zeroLine, zeroOrder } from './zero-order.ts';

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

/** A spec change waits for a temporary upgrade to end (its window is priced on the base spec). */
export function notTempUpgraded(s: ServerRow): Result<void> {
  if (s.tempUntil === null) return ok(undefined);
  return err(
    'invalid_state',
    `Server ${s.id} runs a temporary upgrade until ${s.tempUntil.toISOString()}; change it after that`,
    { detail: { status: s.status } },
  );
}

async function priceChange(deps: Deps, q: Sql, cmd: ChangeServerCommand, now: Date): Promise<Result<Order>> {
  if (!isServerSpec(cmd.spec))
    return err('invalid_request', `unknown server spec: ${cmd.spec}`, { param: 'spec' });
  const s = await getServer(q, cmd.serverId, cmd.accountId);
  if (!s) return err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  if (s.paymentMode === 'postpaid') return pricePostpaidChange(deps, q, s, cmd.spec, now);
  if (s.paymentMode === 'trial') {
    return err('invalid_state', `Server ${s.id} is a trial; convert it first`, {
      detail: { status: s.status },
    });
  }
  const term = termOrderable(s, now);
  if (!term.ok) return term;
  const temp = notTempUpgraded(s);
  if (!temp.ok) return temp;
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
      ...(refund > 0 ? { refund_to: 'sources' } : {}),
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

/** A postpaid server's spec from now on: 0 charged, the old and the new hourly price as two lines. */
async function pricePostpaidChange(
  deps: Deps,
  q: Sql,
  s: ServerRow,
  spec: ServerSpec,
  now: Date,
): Promise<Result<Order>> {
  if (s.status !== 'running') {
    return err('invalid_state', `Server ${s.id} is ${s.status}`, { detail: { status: s.status } });
  }
  const temp = notTempUpgraded(s);
  if (!temp.ok) return temp;
  if (s.spec === spec) return err('invalid_request', `Server ${s.id} already is ${spec}`, { param: 'spec' });
  const book = await loadServerPriceBook(q);
  const from = s.spec as ServerSpec;
  const oldConfig = { spec: from, payment_mode: 'postpaid', billed: 'hourly', unit_price: book.hourly[from] };
  const line = (configuration: 'old' | 'new'): LineItem =>
    zeroLine(deps, {
      product: 'server',
      config:
        configuration === 'old'
          ? { ...oldConfig, configuration }
          : {
              spec,
              payment_mode: 'postpaid',
              billed: 'hourly',
              unit_price: book.hourly[spec],
              configuration,
            },
      previousConfig: configuration === 'new' ? oldConfig : null,
      paymentMode: 'postpaid',
      duration: null,
      instanceId: s.id,
      status: 'paid',
      quantity: 1,
      unitPrice4: configuration === 'old' ? book.hourly[from] : book.hourly[spec],
      startsAt: configuration === 'new' ? now : null,
      endsAt: configuration === 'old' ? now : null,
    });
  return ok(
    zeroOrder(deps, {
      accountId: s.accountId,
      product: 'server',
      type: 'change',
      paymentMode: 'postpaid',
      details: {
        server_id: s.id,
        from_spec: from,
        to_spec: spec,
        payment_mode: 'postpaid',
        billed: 'each hour at the spec the server runs; nothing is charged at the change',
      },
      lines: [line('old'), line('new')],
      at: now,
    }),
  );
}

/** Applies a postpaid change to the locked server if it still runs the old spec. */
async function applyPostpaidChange(q: Sql, order: Order, at: Date): Promise<Result<void>> {
  const id = order.details.server_id as string;
  await getServer(q, id, order.accountId, { forUpdate: true });
  const from = order.details.from_spec as string;
  const changed = await changePostpaidSpec(q, id, from, order.details.to_spec as string, at);
  return changed ? ok(undefined) : movedMeanwhile(id);
}

export async function changeServer(deps: Deps, cmd: ChangeServerCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await priceChange(deps, deps.db, cmd, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  if (cmd.dryRun) return ok(order.payable > 0 ? asUnpaid(order) : order);
  if (order.payable > 0) return payServerChange(deps, cmd, order, now, settleServerTerm);
  const id = order.details.server_id as string;
  const postpaid = order.paymentMode === 'postpaid';
  const done = await resultTx(deps.db, async (q) => {
    // the hours it ran at the old spec are billed at it before the spec moves
    if (postpaid) await settleBeforeSpecChange(deps, q, { id, accountId: order.accountId }, now);
    const applied = postpaid ? await applyPostpaidChange(q, order, now) : await applyTerm(q, order, now);
    if (!applied.ok) return applied;
    return writeRefundingOrder(q, deps, {
      order,
      orderIds: () => serverTermOrderIds(q, order.accountId, id),
      reason: `change ${id}: downgrade pro-rated to the end of the term`,
      causes: [
        'downgrade: difference refunded to its sources',
        postpaid ? 'postpaid spec changed: billed hourly at the new spec' : 'spec changed',
      ],
      idem: cmd.idem,
      at: now,
    });
  });
  return finishRefundingOrder(deps, done);
}
