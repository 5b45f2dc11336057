/**
 * The one way an order's status, payment status and line items move (SPEC §4): each move is
 * checked against the state tables (domain/order-states.ts), then written conditionally on the
 * from-states (db/order-state.ts). A refused move — one the tables do not list, or an order (or a
 * line) no longer where the caller read it — throws `invalid_state` as a DomainFailure: every
 * caller runs inside a transaction (most through resultTx) that must roll back whatever it wrote
 * before, and resultTx returns the failure as the use-case's error (a route answers 409).
 * The caller holds the order's lock (lockOrder).
 */
import type { Sql } from '../../db/client.ts';
import { type OrderStateChange, writeOrderState } from '../../db/order-state.ts';
import { DomainFailure } from '../../domain/errors.ts';
import {
  type LineItemStatus,
  lineItemTransitions,
  orderTransitions,
  paymentTransitions,
  transition,
} from '../../domain/order-states.ts';

/** The line item states the table lets move to `to`. */
function lineStatesBefore(to: LineItemStatus): LineItemStatus[] {
  return (Object.keys(lineItemTransitions) as LineItemStatus[]).filter((from) =>
    lineItemTransitions[from].includes(to),
  );
}

export async function changeOrderState(q: Sql, orderId: string, c: OrderStateChange): Promise<void> {
  if (c.status) {
    const m = transition(orderTransitions, c.status[0], c.status[1], `order ${orderId} status`);
    if (!m.ok) throw new DomainFailure(m.error);
  }
  if (c.paymentStatus) {
    const m = transition(
      paymentTransitions,
      c.paymentStatus[0],
      c.paymentStatus[1],
      `order ${orderId} payment_status`,
    );
    if (!m.ok) throw new DomainFailure(m.error);
  }
  const written = await writeOrderState(q, orderId, c, c.lineStatus ? lineStatesBefore(c.lineStatus) : []);
  if (written === 'stale') {
    const from = [c.status?.[0], c.paymentStatus?.[0]].filter(Boolean).join('/');
    throw new DomainFailure({
      code: 'invalid_state',
      message: `order ${orderId} is no longer ${from || 'there'}`,
      detail: { expected: { status: c.status?.[0] ?? null, payment_status: c.paymentStatus?.[0] ?? null } },
    });
  }
  if (written === 'line_refused') {
    throw new DomainFailure({
      code: 'invalid_state',
      message: `a line item of order ${orderId} cannot move to ${c.lineStatus}`,
      detail: { to: c.lineStatus },
    });
  }
}
