/**
 * `POST /v1/servers/{id}/unsubscribe {dry_run?}` (SPEC §7): a prepaid server stops and its
 * remaining value — paid × unused / term, to the second, half-up to the cent (remainingValueAt) —
 * is refunded with an `unsubscribe` order whose line carries the old configuration
 * (previous_config) and the stopped one (config), with the server's id.
 *
 * Where the money goes: to the account's balance, as one cash ledger entry (cause `refund`, the
 * unsubscribe order's id). The refund engine (refunds/refund-order.ts) refunds an order it finds
 * in the ledger to its card / voucher / balance sources in its own transaction; tying its partial
 * refund of the paying order(s) to this order and the server's stop atomically is not built yet.
 *
 * Postpaid servers are refused (409 invalid_state) until hourly settlement exists: stopping one
 * must bill its last started hour. The server row is locked, so two unsubscribes refund once.
 */
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { moveCash } from '../../db/ledger.ts';
import { insertOrder } from '../../db/orders.ts';
import { getServer, type ServerRow, stopServer } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { LineItem, Order } from '../../domain/order.ts';
import { remainingValueAt, termSecondsAt } from '../../domain/unsubscribe-value.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

export interface UnsubscribeServerCommand {
  accountId: string;
  serverId: string;
  dryRun?: boolean;
  idem?: IdempotencyLink;
}

function unsubscribeOrder(deps: Deps, s: ServerRow, now: Date): Result<Order> {
  if (s.status === 'stopped') {
    return err('invalid_state', `Server ${s.id} is already stopped`, { detail: { status: s.status } });
  }
  if (s.paymentMode !== 'prepaid' || !s.periodStart || !s.periodEnd) {
    return err('invalid_state', `Server ${s.id} is postpaid; only a prepaid server can be unsubscribed yet`, {
      detail: { status: s.status },
    });
  }
  const refund = remainingValueAt(s.paidCents, s.periodStart, s.periodEnd, now);
  const { termSeconds, unusedSeconds } = termSecondsAt(s.periodStart, s.periodEnd, now);
  const status = refund > 0 ? 'refunded' : 'paid';
  const line: LineItem = {
    id: deps.ids.next('oli'),
    product: 'server',
    previousConfig: {
      spec: s.spec,
      payment_mode: s.paymentMode,
      status: s.status,
      period_start: s.periodStart.toISOString(),
      period_end: s.periodEnd.toISOString(),
      paid_usd_cents: s.paidCents,
    },
    config: {
      spec: s.spec,
      payment_mode: s.paymentMode,
      status: 'stopped',
      stopped_at: now.toISOString(),
      term_seconds: termSeconds,
      unused_seconds: unusedSeconds,
      refund_usd_cents: refund,
    },
    paymentMode: 'prepaid',
    duration: null,
    instanceId: s.id,
    status,
    quantity: 1,
    unitPrice4: 0,
    original: 0,
    discount: 0,
    voucher: 0,
    payable: 0,
    paid: 0,
    startsAt: now,
    endsAt: s.periodEnd,
  };
  return ok({
    id: deps.ids.next('ord'),
    accountId: s.accountId,
    product: 'server',
    type: 'unsubscribe',
    status: 'completed',
    paymentStatus: status,
    paymentMode: 'prepaid',
    original: 0,
    discount: 0,
    voucher: 0,
    payable: 0,
    paid: 0,
    refunded: refund,
    details: {
      server_id: s.id,
      spec: s.spec,
      paid_usd_cents: s.paidCents,
      term_seconds: termSeconds,
      unused_seconds: unusedSeconds,
      refund_usd_cents: refund,
      refund_to: 'balance',
      formula: 'paid × unused_seconds / term_seconds, half-up to the cent',
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: now,
    updatedAt: now,
  });
}

export async function unsubscribeServer(deps: Deps, cmd: UnsubscribeServerCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const notFound = err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  if (cmd.dryRun) {
    const s = await getServer(deps.db, cmd.serverId, cmd.accountId);
    if (!s) return notFound;
    const o = unsubscribeOrder(deps, s, now);
    return o;
  }
  return resultTx(deps.db, async (q: Sql) => {
    const s = await getServer(q, cmd.serverId, cmd.accountId, { forUpdate: true });
    if (!s) return notFound;
    const built = unsubscribeOrder(deps, s, now);
    if (!built.ok) return built;
    const order = built.value;
    await insertOrder(q, order, 'server unsubscribed: remaining value refunded to the balance');
    if (!(await stopServer(q, s.id, now))) {
      return err('invalid_state', `Server ${s.id} is already stopped`, { detail: { status: 'stopped' } });
    }
    if (order.refunded > 0) {
      await moveCash(q, {
        id: deps.ids.next('txn'),
        accountId: s.accountId,
        amount: order.refunded,
        cause: 'refund',
        orderId: order.id,
        memo: `unsubscribe ${s.id}: remaining value of the prepaid term`,
        at: now,
      });
    }
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'order', order.id);
    return ok(order);
  });
}
