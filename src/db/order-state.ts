/**
 * Order state changes (SPEC §4): locking an order, and moving its fulfilment status, its payment
 * status and its line items in one statement that records an event per status that changed.
 * Checking a move against the state tables is the caller's (app/orders/change-order-state.ts): this file
 * only writes, conditionally on the states the caller read, and says whether it could.
 */
import type { FulfilmentStatus, LineItemStatus, PaymentStatus } from '../domain/order-states.ts';
import type { Sql } from './client.ts';

export interface LockedOrder {
  id: string;
  accountId: string;
  product: string;
  status: FulfilmentStatus;
  paymentStatus: PaymentStatus;
  payable: number;
  refunded: number;
  details: Record<string, unknown>;
}

/** Locks an order of the account (any account when accountId is null); null if there is none. */
export async function lockOrder(q: Sql, id: string, accountId: string | null): Promise<LockedOrder | null> {
  const rows = await q.query(
    `SELECT id, account_id, product, status, payment_status, payable_cents, refunded_cents, details
     FROM orders WHERE id = $1::text AND ($2::text IS NULL OR account_id = $2::text) FOR UPDATE`,
    [id, accountId],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    product: r.product as string,
    status: r.status as FulfilmentStatus,
    paymentStatus: r.payment_status as PaymentStatus,
    payable: r.payable_cents as number,
    refunded: r.refunded_cents as number,
    details: r.details as Record<string, unknown>,
  };
}

export interface OrderStateChange {
  /** fulfilment status: [from, to] */
  status?: [FulfilmentStatus, FulfilmentStatus];
  /** payment status: [from, to] */
  paymentStatus?: [PaymentStatus, PaymentStatus];
  /** line items' payment status: every line moves to it */
  lineStatus?: LineItemStatus;
  /** set the line items' term */
  term?: { startsAt: Date; endsAt: Date };
  /** merged into the details */
  details?: Record<string, unknown>;
  /** added to refunded_cents */
  refunded?: number;
  cause: string;
  at: Date;
}

/**
 * What writing a change did: `moved`; `stale` when the order is not (or no longer) in the
 * from-states; `line_refused` when a line item is in none of `lineFrom` (nothing is written then
 * only if the caller rolls back, which it must).
 */
export type OrderStateWrite = 'moved' | 'stale' | 'line_refused';

/**
 * Moves an order (and its line items, from the states in `lineFrom`) and records one event per
 * status that changed, in one statement, conditionally on the from-states. The caller has checked
 * the moves against the state tables and holds the order's lock.
 */
export async function writeOrderState(
  q: Sql,
  orderId: string,
  c: OrderStateChange,
  lineFrom: readonly LineItemStatus[],
): Promise<OrderStateWrite> {
  const events: [field: string, from: string, to: string][] = [];
  if (c.status) events.push(['status', ...c.status]);
  if (c.paymentStatus) events.push(['payment_status', ...c.paymentStatus]);
  const rows = await q.query<{ moved: boolean; lines: string | number; total: string | number }>(
    `WITH upd AS (
       UPDATE orders SET status = COALESCE($2::text, status), payment_status = COALESCE($3::text, payment_status),
         refunded_cents = refunded_cents + $4::int8, details = details || $5::jsonb, updated_at = $6::timestamptz
       WHERE id = $1::text AND ($15::text IS NULL OR status = $15::text)
         AND ($16::text IS NULL OR payment_status = $16::text)
       RETURNING id),
     lines AS (
       UPDATE order_line_items SET status = COALESCE($7::text, status),
         starts_at = CASE WHEN $8::boolean THEN $9::timestamptz ELSE starts_at END,
         ends_at = CASE WHEN $8::boolean THEN $10::timestamptz ELSE ends_at END
       WHERE order_id = (SELECT id FROM upd) AND ($7::text IS NULL OR status = ANY($17::text[]))
       RETURNING 1),
     ev AS (
       INSERT INTO order_events (order_id, at, field, from_state, to_state, cause)
       SELECT upd.id, $6::timestamptz, e.field, e.from_state, e.to_state, $11::text
       FROM upd, unnest($12::text[], $13::text[], $14::text[]) WITH ORDINALITY AS e(field, from_state, to_state, n)
       ORDER BY e.n
       RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM upd) AS moved, (SELECT count(*) FROM lines)::int8 AS lines,
       (SELECT count(*) FROM order_line_items WHERE order_id = $1::text)::int8 AS total`,
    [
      orderId,
      c.status?.[1] ?? null,
      c.paymentStatus?.[1] ?? null,
      c.refunded ?? 0,
      JSON.stringify(c.details ?? {}),
      c.at,
      c.lineStatus ?? null,
      c.term !== undefined,
      c.term?.startsAt ?? null,
      c.term?.endsAt ?? null,
      c.cause,
      events.map((e) => e[0]),
      events.map((e) => e[1]),
      events.map((e) => e[2]),
      c.status?.[0] ?? null,
      c.paymentStatus?.[0] ?? null,
      [...lineFrom],
    ],
  );
  const r = rows[0]!;
  if (!r.moved) return 'stale';
  if (c.lineStatus && Number(r.lines) !== Number(r.total)) return 'line_refused';
  return 'moved';
}
