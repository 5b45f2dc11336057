/**
 * `POST /v1/servers/{id}/unsubscribe {dry_run?}` (SPEC §7): the server stops now, with an
 * `unsubscribe` order whose two line items (the server's id on both) are the old configuration
 * (running) and the new one (stopped).
 *
 * - Prepaid: its remaining value — paid × unused / term, to the second, half-up to the cent
 *   (remainingValueAt) — is refunded to where the money came from (refund-to-sources.ts: the card
 *   part to the card through the gateway, the voucher part to a still-valid voucher, the balance
 *   part to the balance), in the transaction that stops it.
 * - Postpaid: no refund; settlement bills the hours it ran, the last started hour included
 *   (until stopped_at rounded up to the hour).
 * - Trial: stops early; nothing was paid, nothing is refunded.
 *
 * The server row is locked, so two unsubscribes stop it and refund once.
 */
import type { Sql } from '../../db/client.ts';
import { getServer, type ServerRow, serverTermOrderIds, stopServer } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { LineItem, Order } from '../../domain/order.ts';
import { remainingValueAt, termSecondsAt } from '../../domain/unsubscribe-value.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { finishRefundingOrder, writeRefundingOrder } from './refund-to-sources.ts';
import { zeroLine, zeroOrder } from './zero-order.ts';

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
  const prepaid = s.paymentMode === 'prepaid' && s.periodStart !== null && s.periodEnd !== null;
  const term = prepaid ? termSecondsAt(s.periodStart!, s.periodEnd!, now) : null;
  const refund = prepaid ? remainingValueAt(s.paidCents, s.periodStart!, s.periodEnd!, now) : 0;
  const status = refund > 0 ? 'refunded' : 'paid';
  const mode = s.paymentMode === 'prepaid' ? 'prepaid' : 'postpaid';
  const oldConfig: Record<string, unknown> = {
    spec: s.spec,
    payment_mode: s.paymentMode,
    status: s.status,
    ...(s.periodStart && s.periodEnd
      ? { period_start: s.periodStart.toISOString(), period_end: s.periodEnd.toISOString() }
      : {}),
    ...(prepaid ? { paid_usd_cents: s.paidCents } : {}),
  };
  const newConfig: Record<string, unknown> = {
    spec: s.spec,
    payment_mode: s.paymentMode,
    status: 'stopped',
    stopped_at: now.toISOString(),
    ...(term
      ? { term_seconds: term.termSeconds, unused_seconds: term.unusedSeconds, refund_usd_cents: refund }
      : {}),
    ...(s.paymentMode === 'postpaid'
      ? { billed: 'until stopped_at rounded up to the hour, by settlement' }
      : {}),
  };
  const line = (configuration: 'old' | 'new'): LineItem =>
    zeroLine(deps, {
      product: 'server',
      previousConfig: configuration === 'new' ? oldConfig : null,
      config: { ...(configuration === 'old' ? oldConfig : newConfig), configuration },
      paymentMode: mode,
      duration: null,
      instanceId: s.id,
      status,
      quantity: 1,
      startsAt: configuration === 'new' ? now : s.periodStart,
      endsAt: configuration === 'old' ? now : s.periodEnd,
    });
  return ok(
    zeroOrder(deps, {
      accountId: s.accountId,
      product: 'server',
      type: 'unsubscribe',
      paymentMode: mode,
      refunded: refund,
      details: {
        server_id: s.id,
        spec: s.spec,
        payment_mode: s.paymentMode,
        ...(term
          ? {
              paid_usd_cents: s.paidCents,
              term_seconds: term.termSeconds,
              unused_seconds: term.unusedSeconds,
              refund_usd_cents: refund,
              refund_to: 'sources',
              formula: 'paid × unused_seconds / term_seconds, half-up to the cent',
            }
          : { refund_usd_cents: 0 }),
      },
      lines: [line('old'), line('new')],
      at: now,
    }),
  );
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
  const done = await resultTx(deps.db, async (q: Sql) => {
    const s = await getServer(q, cmd.serverId, cmd.accountId, { forUpdate: true });
    if (!s) return notFound;
    const built = unsubscribeOrder(deps, s, now);
    if (!built.ok) return built;
    if (!(await stopServer(q, s.id, now))) {
      return err('invalid_state', `Server ${s.id} is already stopped`, { detail: { status: 'stopped' } });
    }
    return writeRefundingOrder(q, deps, {
      order: built.value,
      orderIds: () => serverTermOrderIds(q, s.accountId, s.id),
      reason: `unsubscribe ${s.id}: remaining value of the prepaid term`,
      causes: ['server unsubscribed: remaining value refunded to its sources', 'server unsubscribed'],
      idem: cmd.idem,
      at: now,
    });
  });
  return finishRefundingOrder(deps, done);
}
