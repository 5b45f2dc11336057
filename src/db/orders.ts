/** Orders, their line items and their events. */

import type { LineItem, Order, OrderEvent } from '../domain/order.ts';
import type { FulfilmentStatus, OrderType, PaymentStatus } from '../domain/order-states.ts';
import type { Sql } from './client.ts';

const ORDER_COLS = `o.id, o.account_id, o.product, o.type, o.status, o.payment_status, o.payment_mode,
  o.original_cents, o.discount_cents, o.voucher_cents, o.payable_cents, o.paid_cents, o.refunded_cents,
  o.details, o.unpaid_cancel_at, o.created_at, o.updated_at`;

const LINE_COLS = `id, order_id, position, product, config, previous_config, payment_mode, duration, instance_id,
  status, quantity, unit_price4, original_cents, discount_cents, voucher_cents, payable_cents, paid_cents,
  starts_at, ends_at`;

function mapLine(r: Record<string, unknown>): LineItem {
  return {
    id: r.id as string,
    product: r.product as string,
    config: r.config as Record<string, unknown>,
    previousConfig: (r.previous_config as Record<string, unknown> | null) ?? null,
    paymentMode: r.payment_mode as LineItem['paymentMode'],
    duration: (r.duration as string | null) ?? null,
    instanceId: (r.instance_id as string | null) ?? null,
    status: r.status as LineItem['status'],
    quantity: r.quantity as number,
    unitPrice4: r.unit_price4 as number,
    original: r.original_cents as number,
    discount: r.discount_cents as number,
    voucher: r.voucher_cents as number,
    payable: r.payable_cents as number,
    paid: r.paid_cents as number,
    startsAt: (r.starts_at as Date | null) ?? null,
    endsAt: (r.ends_at as Date | null) ?? null,
  };
}

function mapOrder(r: Record<string, unknown>, lines: LineItem[]): Order {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    product: r.product as string,
    type: r.type as OrderType,
    status: r.status as FulfilmentStatus,
    paymentStatus: r.payment_status as PaymentStatus,
    paymentMode: r.payment_mode as Order['paymentMode'],
    original: r.original_cents as number,
    discount: r.discount_cents as number,
    voucher: r.voucher_cents as number,
    payable: r.payable_cents as number,
    paid: r.paid_cents as number,
    refunded: r.refunded_cents as number,
    details: r.details as Record<string, unknown>,
    lines,
    unpaidCancelAt: (r.unpaid_cancel_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

const orderCtesText = new Map<string, string>();

/** The text of `orderInsertCtes`, built once for each (first parameter, guard). */
export function orderCtesSql(first: number, guard: string | null): string {
  const cacheKey = `${first}:${guard ?? ''}`;
  let sql = orderCtesText.get(cacheKey);
  if (!sql) {
    sql = `ord AS (
         INSERT INTO orders (id, account_id, product, type, status, payment_status, payment_mode,
           original_cents, discount_cents, voucher_cents, payable_cents, paid_cents, details, unpaid_cancel_at,
           created_at, updated_at)
         SELECT $1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text, $8::int8, $9::int8,
           $10::int8, $11::int8, $12::int8, $13::jsonb, $14::timestamptz, $15::timestamptz, $15::timestamptz
         ${guard ? `WHERE EXISTS (SELECT 1 FROM ${guard})` : ''}
         RETURNING id),
       ord_lines AS (
         INSERT INTO order_line_items (id, order_id, position, product, config, previous_config, payment_mode,
           duration, instance_id, status, quantity, unit_price4, original_cents, discount_cents, voucher_cents,
           payable_cents, paid_cents, starts_at, ends_at)
         SELECT l.id, ord.id, l.position, l.product, l.config, l.previous_config, l.payment_mode,
           l.duration, l.instance_id, l.status, l.quantity, l.unit_price4, l.original_cents, l.discount_cents,
           l.voucher_cents, l.payable_cents, l.paid_cents, l.starts_at, l.ends_at
         FROM ord, jsonb_to_recordset($16::jsonb) AS l(id text, position int, product text, config jsonb,
           previous_config jsonb, payment_mode text, duration text, instance_id text, status text, quantity int,
           unit_price4 bigint, original_cents bigint, discount_cents bigint, voucher_cents bigint,
           payable_cents bigint, paid_cents bigint, starts_at timestamptz, ends_at timestamptz)
         RETURNING 1),
       ord_events AS (
         INSERT INTO order_events (order_id, at, field, from_state, to_state, cause)
         SELECT ord.id, $15::timestamptz, e.field, NULL, e.to_state, $17::text
         FROM ord, (VALUES ('status', $5::text), ('payment_status', $6::text)) AS e(field, to_state)
         RETURNING 1)`.replace(/\$(\d+)/g, (_, n: string) => `$${first + Number(n) - 1}`);
    orderCtesText.set(cacheKey, sql);
  }
  return sql;
}

/**
 * The order, its line items and its first events as three CTEs (`ord`, `ord_lines`, `ord_events`)
 * of a larger statement, its parameters numbered from `$first`. With a `guard` (the name of an
 * earlier CTE, e.g. the payment that pays for the order) nothing is written unless it returned a
 * row, so a statement that pays and writes the order is all or nothing. The text depends only on
 * `first` and `guard`, so the statement can be prepared.
 */
function orderInsertCtes(
  o: Order,
  cause: string,
  first: number,
  guard: string | null = null,
): { sql: string; params: unknown[] } {
  return { sql: orderCtesSql(first, guard), params: orderInsertParams(o, cause) };
}

/** The parameters of `orderInsertCtes`, in order. */
export function orderInsertParams(o: Order, cause: string): unknown[] {
  const lines = o.lines.map((l, i) => ({
    id: l.id,
    position: i + 1,
    product: l.product,
    config: l.config,
    previous_config: l.previousConfig,
    payment_mode: l.paymentMode,
    duration: l.duration,
    instance_id: l.instanceId,
    status: l.status,
    quantity: l.quantity,
    unit_price4: l.unitPrice4,
    original_cents: l.original,
    discount_cents: l.discount,
    voucher_cents: l.voucher,
    payable_cents: l.payable,
    paid_cents: l.paid,
    starts_at: l.startsAt?.toISOString() ?? null,
    ends_at: l.endsAt?.toISOString() ?? null,
  }));
  return [
    o.id,
    o.accountId,
    o.product,
    o.type,
    o.status,
    o.paymentStatus,
    o.paymentMode,
    o.original,
    o.discount,
    o.voucher,
    o.payable,
    o.paid,
    JSON.stringify(o.details),
    o.unpaidCancelAt,
    o.createdAt,
    JSON.stringify(lines),
    cause,
  ];
}

/**
 * Inserts an order with its line items and its first events, in one statement (a data-modifying
 * CTE): one round trip on the hot path.
 */
export async function insertOrder(q: Sql, o: Order, cause: string): Promise<void> {
  const { sql, params } = orderInsertCtes(o, cause, 1);
  await q.query(`WITH ${sql} SELECT count(*) FROM ord`, params);
}

/** An order of the account (or of any account when accountId is null), with its line items. */
export async function getOrder(q: Sql, id: string, accountId: string | null): Promise<Order | null> {
  const rows = await q.query(
    `SELECT ${ORDER_COLS} FROM orders o WHERE o.id = $1 AND ($2::text IS NULL OR o.account_id = $2)`,
    [id, accountId],
    { prepare: true },
  );
  if (!rows[0]) return null;
  const lines = await q.query(
    `SELECT ${LINE_COLS} FROM order_line_items WHERE order_id = $1 ORDER BY position`,
    [id],
    { prepare: true },
  );
  return mapOrder(rows[0], lines.map(mapLine));
}

/** The orders of `ids` (of any account) with their line items, in the order of `ids`; two statements. */
export async function getOrders(q: Sql, ids: readonly string[]): Promise<Order[]> {
  if (ids.length === 0) return [];
  const rows = await q.query(`SELECT ${ORDER_COLS} FROM orders o WHERE o.id = ANY($1::text[])`, [ids], {
    prepare: true,
  });
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  const found = ids.map((id) => byId.get(id)).filter((r): r is Record<string, unknown> => r !== undefined);
  return withLines(q, found);
}

/** Orders from their rows, with their line items read in one statement. */
async function withLines(q: Sql, rows: Record<string, unknown>[]): Promise<Order[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id as string);
  const lines = await q.query(
    `SELECT ${LINE_COLS} FROM order_line_items WHERE order_id = ANY($1::text[]) ORDER BY order_id, position`,
    [ids],
    { prepare: true },
  );
  const byOrder = new Map<string, LineItem[]>();
  for (const l of lines) {
    const list = byOrder.get(l.order_id as string) ?? [];
    list.push(mapLine(l));
    byOrder.set(l.order_id as string, list);
  }
  return rows.map((r) => mapOrder(r, byOrder.get(r.id as string) ?? []));
}

export async function listOrderEvents(q: Sql, orderId: string): Promise<OrderEvent[]> {
  const rows = await q.query<{
    at: Date;
    field: OrderEvent['field'];
    from_state: string | null;
    to_state: string;
    cause: string;
  }>('SELECT at, field, from_state, to_state, cause FROM order_events WHERE order_id = $1 ORDER BY id', [
    orderId,
  ]);
  return rows.map((r) => ({ at: r.at, field: r.field, from: r.from_state, to: r.to_state, cause: r.cause }));
}

export interface OrderFilter {
  accountId: string | null;
  id?: string;
  createdFrom?: Date;
  /** exclusive */
  createdTo?: Date;
  product?: string;
  type?: string;
  status?: string;
  paymentStatus?: string;
  limit: number;
  startingAfter?: string;
}

/**
 * A page of orders, newest first, every filter combined. The cursor is the (created_at, id) of
 * the `starting_after` order, looked up within the same account, so a foreign id yields nothing.
 *
 * The statement names only the filters given (each combination its own text, planned for what it
 * asks), and the account goes in as a sub-select: the planner then plans for an average account
 * rather than for this one. Given the literal id of an account holding a large share of all
 * orders, it would walk the all-accounts (created_at, id) index and filter by account, expecting
 * the account's orders to be spread evenly over time; for a big customer with no recent orders
 * that reads every later order of everyone (bench/orders-list: half a million rows for a first
 * page). Through the sub-select it starts from an index that leads with the account.
 */
export async function listOrders(q: Sql, f: OrderFilter): Promise<Order[]> {
  const params: unknown[] = [];
  const param = (value: unknown, type: string) => {
    params.push(value);
    return `$${params.length}::${type}`;
  };
  const where: string[] = [];
  const account = f.accountId === null ? null : param(f.accountId, 'text');
  if (account) where.push(`o.account_id = (SELECT ${account})`);
  if (f.id !== undefined) where.push(`o.id = ${param(f.id, 'text')}`);
  if (f.createdFrom !== undefined) where.push(`o.created_at >= ${param(f.createdFrom, 'timestamptz')}`);
  if (f.createdTo !== undefined) where.push(`o.created_at < ${param(f.createdTo, 'timestamptz')}`);
  if (f.product !== undefined) where.push(`o.product = ${param(f.product, 'text')}`);
  if (f.type !== undefined) where.push(`o.type = ${param(f.type, 'text')}`);
  if (f.status !== undefined) where.push(`o.status = ${param(f.status, 'text')}`);
  if (f.paymentStatus !== undefined) where.push(`o.payment_status = ${param(f.paymentStatus, 'text')}`);
  if (f.startingAfter !== undefined) {
    where.push(`(o.created_at, o.id) < (
      SELECT c.created_at, c.id FROM orders c
      WHERE c.id = ${param(f.startingAfter, 'text')}${account ? ` AND c.account_id = ${account}` : ''})`);
  }
  const rows = await q.query(
    `SELECT ${ORDER_COLS} FROM orders o
     ${where.length > 0 ? `WHERE ${where.join('\n       AND ')}` : ''}
     ORDER BY o.created_at DESC, o.id DESC
     LIMIT ${param(f.limit, 'int8')}`,
    params,
  );
  return withLines(q, rows);
}

// ---- pay later: used by app/orders/place-unpaid-order.ts and app/orders/pay-pending-order.ts ----

/** What an unpaid order still needs when it is paid (orders.pay_later, migration 012). */
export interface PayLaterRecord {
  /** vouchers named at creation, spent at payment unless the payment names others */
  vouchers: string[];
  /** ISP: the batch's request (subuser, term, renewal) */
  isp?: { subuserId: string; months: number; autoRenew: boolean };
}

export async function setPayLater(q: Sql, orderId: string, r: PayLaterRecord): Promise<void> {
  await q.query('UPDATE orders SET pay_later = $2::jsonb WHERE id = $1::text', [orderId, JSON.stringify(r)]);
}

export async function getPayLater(q: Sql, orderId: string): Promise<PayLaterRecord | null> {
  const rows = await q.query<{ pay_later: PayLaterRecord | null }>(
    'SELECT pay_later FROM orders WHERE id = $1::text',
    [orderId],
  );
  return rows[0]?.pay_later ?? null;
}

/**
 * Writes an order's amounts as paid: each line's voucher, payable and paid (by id) and the order's
 * totals (the sums of its lines, computed by the caller). The caller holds the order's lock.
 */
export async function setOrderAmounts(q: Sql, o: Order): Promise<void> {
  await q.query(
    `WITH lines AS (
       UPDATE order_line_items li SET voucher_cents = l.voucher, payable_cents = l.payable, paid_cents = l.paid
       FROM jsonb_to_recordset($7::jsonb) AS l(id text, voucher bigint, payable bigint, paid bigint)
       WHERE li.order_id = $1::text AND li.id = l.id RETURNING 1)
     UPDATE orders SET original_cents = $2::int8, discount_cents = $3::int8, voucher_cents = $4::int8,
       payable_cents = $5::int8, paid_cents = $6::int8
     WHERE id = $1::text`,
    [
      o.id,
      o.original,
      o.discount,
      o.voucher,
      o.payable,
      o.paid,
      JSON.stringify(
        o.lines.map((l) => ({ id: l.id, voucher: l.voucher, payable: l.payable, paid: l.paid })),
      ),
    ],
  );
}

/**
 * Unpaid orders whose time to be paid has run out (index orders_unpaid_idx), oldest deadline
 * first; not those with a card payment in flight (it settles or fails first), so orders whose
 * payment is stuck for an operator cannot crowd the others out of a sweep's page.
 */
export async function listDueUnpaidOrders(
  q: Sql,
  now: Date,
  limit: number,
): Promise<{ id: string; accountId: string; holdsStock: boolean }[]> {
  const rows = await q.query<{ id: string; account_id: string; holds: boolean }>(
    `SELECT id, account_id, product = 'isp' AS holds FROM orders
     WHERE payment_status = 'pending_payment' AND unpaid_cancel_at <= $1::timestamptz
       AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.order_id = orders.id AND p.status = 'processing')
     ORDER BY unpaid_cancel_at, id LIMIT $2::int8`,
    [now, limit],
  );
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, holdsStock: r.holds }));
}
