/**
 * Settling a paid change of a prepaid server's term — an upgrade (`change`) or a `renew` — in the
 * paying transaction, the request's and crash recovery's (settle-server-order.ts dispatches here
 * by order type). The order's details carry the server as it was priced (`server_before`) and as
 * it will be (`server_after`); the server row is locked and changed only if it is still as
 * priced, else the error rolls everything back (and a card charged for it is refunded).
 */
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertOrder } from '../../db/orders.ts';
import { getServer, updateServerTerm } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import { paidCause, type SettleInput, takeGatedPayment, takePayment } from '../payments/take-payment.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';

/** The server before and after a term order, as stored in the order's details. */
export interface ServerTermStates {
  before: { spec: string; period_end: string; paid_cents: number };
  after: { spec: string; period_end: string; paid_cents: number; term_months: number };
}

export function termStates(order: Order): ServerTermStates {
  return {
    before: order.details.server_before as ServerTermStates['before'],
    after: order.details.server_after as ServerTermStates['after'],
  };
}

export function movedMeanwhile(id: string) {
  return err(
    'invalid_state',
    `Server ${id} changed meanwhile (stopped, changed or renewed); nothing was done`,
  );
}

/** Applies the order's `server_after` to the locked server if it is still `server_before`. */
export async function applyTerm(q: Sql, order: Order, at: Date): Promise<Result<void>> {
  const id = order.details.server_id as string;
  const s = await getServer(q, id, order.accountId, { forUpdate: true });
  if (!s) return err('not_found', `No such server: ${id}`, { param: 'id' });
  const { before, after } = termStates(order);
  const applied = await updateServerTerm(
    q,
    id,
    { spec: before.spec, periodEnd: new Date(before.period_end), paidCents: before.paid_cents },
    {
      spec: after.spec,
      periodEnd: new Date(after.period_end),
      paidCents: after.paid_cents,
      termMonths: after.term_months,
    },
    at,
  );
  return applied ? ok(undefined) : movedMeanwhile(id);
}

/**
 * The paying transaction of an order that changes an existing server (the request's and crash
 * recovery's): `apply` changes the locked server if it is still as priced, the payment is taken
 * (with the account's order gate when `gated`), the paid order is written.
 */
export async function settleServerChange(
  deps: Deps,
  q: Sql,
  p: SettleInput,
  apply: (q: Sql, order: Order, at: Date) => Promise<Result<void>>,
  gated = false,
): Promise<Result<Order>> {
  const { order, at } = p;
  const applied = await apply(q, order, at);
  if (!applied.ok) return applied;
  const taken = gated
    ? await takeGatedPayment(deps, q, p)
    : await takePayment(deps, q, { order, vouchers: p.vouchers, card: p.card, at });
  if (!taken.ok) return taken;
  const paid: Order = { ...taken.value, status: 'completed', createdAt: order.createdAt, updatedAt: at };
  await insertOrder(q, paid, paidCause(paid, p.card !== null));
  if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
  await emitOrderPaidEvents(q, deps, paid, at);
  return ok(paid);
}

export function settleServerTerm(deps: Deps, q: Sql, p: SettleInput): Promise<Result<Order>> {
  return settleServerChange(deps, q, p, applyTerm);
}
