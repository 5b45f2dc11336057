/**
 * ISP batches as orders create them (SPEC §6): claiming stock, the batch and its IPs, the wait
 * queue, and the fulfilment and refund bookkeeping of ISP orders.
 *
 * Claims of one country are serialized by a transaction-scoped advisory lock (lockIspStock), taken
 * first in every transaction that claims stock for an order or serves the wait queue. Within it,
 * `FOR UPDATE SKIP LOCKED` still guards the rows against any other writer; the lock is what makes
 * a short claim mean "not enough stock" rather than "another order's claim is in flight and may
 * yet roll back", so 40 concurrent orders of 5 for 100 IPs give exactly 20 batches.
 */
import { DomainFailure } from '../domain/errors.ts';
import type { LatLon } from '../domain/gazetteer.ts';
import {
  type FulfilmentStatus,
  type LineItemStatus,
  lineItemTransitions,
  orderTransitions,
  type PaymentStatus,
  paymentTransitions,
  transition,
} from '../domain/order-states.ts';
import type { StockPlace } from '../domain/substitution.ts';
import type { Sql } from './client.ts';
import type { ReturnedStock } from './isp-lifecycle.ts';

/** The first key of the two-key advisory lock of ISP stock claims (the second is the country's hash). */
const STOCK_LOCK_CLASS = 7201;

/** Waits for and holds, until the transaction ends, the right to claim the country's stock. */
export async function lockIspStock(q: Sql, country: string): Promise<void> {
  await q.query('SELECT 1 FROM (SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))) AS l', [
    STOCK_LOCK_CLASS,
    country,
  ]);
}

/** Where stock is taken from: a country, optionally one city and/or one ASN. */
export interface StockPlaceFilter {
  country: string;
  city: string | null;
  asn: number | null;
}

/** A place whose IPs are kept for someone else (a waiting order): city and ASN, null for any. */
export interface ReservedPlace {
  city: string | null;
  asn: number | null;
}

/** `AND NOT (the row is in one of the places)`, the places' JSON being parameter `$n`. */
function notInPlaces(n: number): string {
  return `AND NOT EXISTS (
           SELECT 1 FROM jsonb_to_recordset($${n}::jsonb) AS x(city text, asn int8)
           WHERE (x.city IS NULL OR x.city = isp_ips.city) AND (x.asn IS NULL OR x.asn = isp_ips.asn))`;
}

export interface ClaimedIp {
  id: string;
  address: string;
  port: number;
  city: string;
  asn: number;
}

/**
 * Claims up to `quantity` available IPs of the place for a batch (status 'allocated', batch_id set),
 * lowest ids first. Returns what it claimed: fewer than asked means the place is short (under
 * lockIspStock); the caller keeps them, or gives them back with unclaimIps. The pick is a
 * materialized CTE: written as `WHERE id IN (SELECT … LIMIT n)` the planner may run the subquery
 * more than once and claim more than `quantity` (it did, here).
 */
export async function claimIps(
  q: Sql,
  c: StockPlaceFilter & {
    batchId: string;
    quantity: number;
    at: Date;
    /** places (of the same country) whose IPs must not be taken */
    exclude?: readonly ReservedPlace[];
    /** fresh IPs only: none that ever served this batch (replacement, refresh) */
    freshFor?: string;
  },
): Promise<ClaimedIp[]> {
  const params: unknown[] = [c.batchId, c.country, c.city, c.asn, c.quantity, c.at];
  let exclude = c.exclude?.length ? notInPlaces(params.push(JSON.stringify(c.exclude))) : '';
  if (c.freshFor !== undefined) {
    exclude += `
         AND NOT EXISTS (SELECT 1 FROM isp_batch_ips h WHERE h.batch_id = $${params.push(c.freshFor)}::text
                         AND h.ip_id = isp_ips.id)`;
  }
  return q.query<ClaimedIp>(
    `WITH picked AS MATERIALIZED (
       SELECT id FROM isp_ips
       WHERE status = 'available' AND country = $2::text
         AND ($3::text IS NULL OR city = $3::text)
         AND ($4::int8 IS NULL OR asn = $4::int8)
         ${exclude}
       ORDER BY id
       LIMIT $5::int8
       FOR UPDATE SKIP LOCKED)
     UPDATE isp_ips i SET status = 'allocated', batch_id = $1::text, updated_at = $6::timestamptz
     FROM picked WHERE i.id = picked.id
     RETURNING i.id, i.address, i.port, i.city, i.asn::int8 AS asn`,
    params,
  );
}

/** Gives claimed IPs back to stock (a short claim that is not kept). */
export async function unclaimIps(q: Sql, batchId: string, ipIds: readonly string[], at: Date): Promise<void> {
  if (ipIds.length === 0) return;
  await q.query(
    `UPDATE isp_ips SET status = 'available', batch_id = NULL, updated_at = $3::timestamptz
     WHERE id = ANY($2::text[]) AND batch_id = $1::text AND status = 'allocated'`,
    [batchId, [...ipIds], at],
  );
}

/** Available IPs of the place, but for those of the excluded places. */
export async function countAvailableAt(
  q: Sql,
  f: StockPlaceFilter,
  exclude: readonly ReservedPlace[] = [],
): Promise<number> {
  const params: unknown[] = [f.country, f.city, f.asn];
  const notIn = exclude.length ? notInPlaces(params.push(JSON.stringify(exclude))) : '';
  const rows = await q.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM isp_ips
     WHERE status = 'available' AND country = $1::text
       AND ($2::text IS NULL OR city = $2::text)
       AND ($3::int8 IS NULL OR asn = $3::int8)
       ${notIn}`,
    params,
  );
  return rows[0]?.n ?? 0;
}

/**
 * The country's available stock by city and ASN, with the rows' own coordinates where they carry
 * them (averaged over the place), for choosing a substitute.
 */
export async function availableStockPlaces(q: Sql, country: string): Promise<StockPlace[]> {
  const rows = await q.query<{
    city: string;
    asn: number;
    available: number;
    lat: number | null;
    lon: number | null;
  }>(
    `SELECT city, asn::int8 AS asn, count(*)::int8 AS available,
       avg(lat) FILTER (WHERE lat IS NOT NULL AND lon IS NOT NULL) AS lat,
       avg(lon) FILTER (WHERE lat IS NOT NULL AND lon IS NOT NULL) AS lon
     FROM isp_ips WHERE status = 'available' AND country = $1::text
     GROUP BY city, asn ORDER BY city, asn`,
    [country],
  );
  return rows.map((r) => ({
    city: r.city,
    asn: r.asn,
    available: r.available,
    lat: r.lat ?? null,
    lon: r.lon ?? null,
    country,
  }));
}

/** Where a city of the stock is, from the coordinates its rows carry (any status), if any do. */
export async function stockCityOrigin(q: Sql, country: string, city: string): Promise<LatLon | null> {
  const rows = await q.query<{ lat: number | null; lon: number | null }>(
    `SELECT avg(lat) AS lat, avg(lon) AS lon FROM isp_ips
     WHERE country = $1::text AND city = $2::text AND lat IS NOT NULL AND lon IS NOT NULL`,
    [country, city],
  );
  const r = rows[0];
  return r && r.lat !== null && r.lon !== null ? { lat: r.lat, lon: r.lon } : null;
}

// ---- batches ----

/** The audit record of a substitution, on the batch and in the order's details. */
export interface SubstitutionRecord {
  requested: { city: string | null; asn: number | null };
  delivered: { city: string; asn: number };
  reason: string;
  distance_km: number | null;
}

export type NewBatchStatus = 'waiting_inventory' | 'provisioning';

export interface NewBatch {
  id: string;
  accountId: string;
  orderId: string;
  subuserId: string;
  country: string;
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  status: NewBatchStatus;
  autoRenew: boolean;
  substitution: SubstitutionRecord | null;
  /** null while waiting for stock: the period starts when the IPs are delivered */
  periodStartedAt: Date | null;
  expiresAt: Date | null;
  at: Date;
}

/** Inserts a batch and, when given, its IPs (one statement). */
export async function insertBatch(q: Sql, b: NewBatch, ipIds: readonly string[] = []): Promise<void> {
  await q.query(
    `WITH bat AS (
       INSERT INTO isp_batches (id, account_id, order_id, subuser_id, country, city, asn, quantity, months, status,
         auto_renew, substitution, period_started_at, expires_at, created_at, updated_at)
       VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::text, $7::int8, $8::int4, $9::int4, $10::text,
         $11::boolean, $12::jsonb, $13::timestamptz, $14::timestamptz, $15::timestamptz, $15::timestamptz)
       RETURNING id),
     ips AS (
       INSERT INTO isp_batch_ips (batch_id, ip_id, assigned_at)
       SELECT bat.id, u.ip_id, $15::timestamptz FROM bat, unnest($16::text[]) AS u(ip_id)
       RETURNING 1)
     SELECT (SELECT count(*) FROM ips)::int8 AS ips`,
    [
      b.id,
      b.accountId,
      b.orderId,
      b.subuserId,
      b.country,
      b.city,
      b.asn,
      b.quantity,
      b.months,
      b.status,
      b.autoRenew,
      b.substitution ? JSON.stringify(b.substitution) : null,
      b.periodStartedAt,
      b.expiresAt,
      b.at,
      [...ipIds],
    ],
  );
}

/** A waiting batch gets its IPs: provisioning from `at`, expiring at `expiresAt`. False if not waiting. */
export async function startWaitingBatch(
  q: Sql,
  batchId: string,
  ipIds: readonly string[],
  s: { at: Date; expiresAt: Date },
): Promise<boolean> {
  const rows = await q.query<{ id: string }>(
    `WITH bat AS (
       UPDATE isp_batches SET status = 'provisioning', period_started_at = $3::timestamptz,
         expires_at = $4::timestamptz, updated_at = $3::timestamptz
       WHERE id = $1::text AND status = 'waiting_inventory'
       RETURNING id),
     ips AS (
       INSERT INTO isp_batch_ips (batch_id, ip_id, assigned_at)
       SELECT bat.id, u.ip_id, $3::timestamptz FROM bat, unnest($2::text[]) AS u(ip_id)
       RETURNING 1)
     SELECT id, (SELECT count(*) FROM ips) AS n FROM bat`,
    [batchId, [...ipIds], s.at, s.expiresAt],
  );
  return rows.length === 1;
}

/** A waiting batch that never got IPs is released (its order was cancelled). False if not waiting. */
export async function releaseWaitingBatch(q: Sql, batchId: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE isp_batches SET status = 'released', released_at = $2::timestamptz, updated_at = $2::timestamptz
     WHERE id = $1::text AND status = 'waiting_inventory' RETURNING id`,
    [batchId, at],
  );
  return rows.length === 1;
}

// ---- the wait queue ----

export interface WaitEntry {
  orderId: string;
  batchId: string;
  accountId: string;
  country: string;
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  queuedAt: Date;
}

export async function insertWait(q: Sql, w: Omit<WaitEntry, 'months'>): Promise<void> {
  await q.query(
    `INSERT INTO isp_wait_queue (order_id, batch_id, account_id, country, city, asn, quantity, queued_at)
     VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::int8, $7::int4, $8::timestamptz)`,
    [w.orderId, w.batchId, w.accountId, w.country, w.city, w.asn, w.quantity, w.queuedAt],
  );
}

/** The country's open queue, first come first served (ties by order id). */
export async function listOpenWaits(q: Sql, country: string): Promise<WaitEntry[]> {
  const rows = await q.query<{
    order_id: string;
    batch_id: string;
    account_id: string;
    country: string;
    city: string | null;
    asn: number | null;
    quantity: number;
    months: number;
    queued_at: Date;
  }>(
    `SELECT w.order_id, w.batch_id, w.account_id, w.country, w.city, w.asn::int8 AS asn, w.quantity, b.months,
       w.queued_at
     FROM isp_wait_queue w JOIN isp_batches b ON b.id = w.batch_id
     WHERE w.country = $1::text AND w.served_at IS NULL AND w.cancelled_at IS NULL
     ORDER BY w.queued_at, w.order_id`,
    [country],
  );
  return rows.map((r) => ({
    orderId: r.order_id,
    batchId: r.batch_id,
    accountId: r.account_id,
    country: r.country,
    city: r.city ?? null,
    asn: r.asn ?? null,
    quantity: r.quantity,
    months: r.months,
    queuedAt: r.queued_at,
  }));
}

/**
 * The places the country's waiting orders ask for: their IPs are kept for them, first come first
 * served, and later orders may not take them.
 */
export async function waitingPlaces(q: Sql, country: string): Promise<ReservedPlace[]> {
  return q.query<ReservedPlace>(
    `SELECT DISTINCT city, asn::int8 AS asn FROM isp_wait_queue
     WHERE country = $1::text AND served_at IS NULL AND cancelled_at IS NULL`,
    [country],
  );
}

/** Countries with orders waiting for stock. */
export async function openWaitCountries(q: Sql): Promise<string[]> {
  const rows = await q.query<{ country: string }>(
    `SELECT DISTINCT country FROM isp_wait_queue WHERE served_at IS NULL AND cancelled_at IS NULL ORDER BY country`,
  );
  return rows.map((r) => r.country);
}

/** Whether any order waits for stock (of the country, when given). */
export async function hasOpenWaits(q: Sql, country: string | null): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM isp_wait_queue
     WHERE served_at IS NULL AND cancelled_at IS NULL AND ($1::text IS NULL OR country = $1::text) LIMIT 1`,
    [country],
  );
  return rows.length > 0;
}

export async function markWaitServed(q: Sql, orderId: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE isp_wait_queue SET served_at = $2::timestamptz
     WHERE order_id = $1::text AND served_at IS NULL AND cancelled_at IS NULL RETURNING order_id`,
    [orderId, at],
  );
  return rows.length === 1;
}

/** Takes an order out of the queue; its waiting batch's id, or null if it was not waiting. */
export async function cancelWait(q: Sql, orderId: string, at: Date): Promise<string | null> {
  const rows = await q.query<{ batch_id: string }>(
    `UPDATE isp_wait_queue SET cancelled_at = $2::timestamptz
     WHERE order_id = $1::text AND served_at IS NULL AND cancelled_at IS NULL RETURNING batch_id`,
    [orderId, at],
  );
  return rows[0]?.batch_id ?? null;
}

// ---- ISP orders: fulfilment and refund bookkeeping ----

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
  /** line items' payment status: every line moves to it (from a state the table allows) */
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

/** The line item states the table lets move to `to`. */
function lineStatesBefore(to: LineItemStatus): LineItemStatus[] {
  return (Object.keys(lineItemTransitions) as LineItemStatus[]).filter((from) =>
    lineItemTransitions[from].includes(to),
  );
}

/**
 * Moves an order (and its line items) and records one event per status that changed, in one
 * statement. Every move is checked against the state tables (order-states.ts), and the update is
 * conditional on the from-states: an illegal move, or an order (or a line) no longer where the
 * caller read it, throws `invalid_state` (a DomainFailure, so the caller's transaction rolls back
 * and a route answers 409). The caller holds the order's lock.
 */
export async function changeOrderState(q: Sql, orderId: string, c: OrderStateChange): Promise<void> {
  const events: [field: string, from: string, to: string][] = [];
  if (c.status) {
    const m = transition(orderTransitions, c.status[0], c.status[1], `order ${orderId} status`);
    if (!m.ok) throw new DomainFailure(m.error);
    events.push(['status', ...c.status]);
  }
  if (c.paymentStatus) {
    const [from, to] = c.paymentStatus;
    const m = transition(paymentTransitions, from, to, `order ${orderId} payment_status`);
    if (!m.ok) throw new DomainFailure(m.error);
    events.push(['payment_status', from, to]);
  }
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
      c.lineStatus ? lineStatesBefore(c.lineStatus) : [],
    ],
  );
  const r = rows[0]!;
  if (!r.moved) {
    const from = [c.status?.[0], c.paymentStatus?.[0]].filter(Boolean).join('/');
    throw new DomainFailure({
      code: 'invalid_state',
      message: `order ${orderId} is no longer ${from || 'there'}`,
      detail: { expected: { status: c.status?.[0] ?? null, payment_status: c.paymentStatus?.[0] ?? null } },
    });
  }
  if (c.lineStatus && Number(r.lines) !== Number(r.total)) {
    throw new DomainFailure({
      code: 'invalid_state',
      message: `a line item of order ${orderId} cannot move to ${c.lineStatus}`,
      detail: { to: c.lineStatus },
    });
  }
}

export interface OrderCardPayment {
  id: string;
  amountCents: number;
  gatewayChargeId: string | null;
}

/** The card payments that paid for an order (succeeded), oldest first. */
export async function listOrderCardPayments(q: Sql, orderId: string): Promise<OrderCardPayment[]> {
  const rows = await q.query<{ id: string; amount_cents: number; gateway_charge_id: string | null }>(
    `SELECT id, amount_cents, gateway_charge_id FROM payments
     WHERE order_id = $1::text AND purpose = 'order' AND status = 'succeeded' ORDER BY created_at, id`,
    [orderId],
  );
  return rows.map((r) => ({
    id: r.id,
    amountCents: r.amount_cents,
    gatewayChargeId: r.gateway_charge_id ?? null,
  }));
}

// ---- pay later: IPs held for an unpaid order (isp_ips status 'held', held_by_order_id) ----

/** The IPs just claimed for `batchId` become held for an unpaid order instead (no batch yet). */
export async function holdClaimedIps(q: Sql, batchId: string, orderId: string, at: Date): Promise<number> {
  const rows = await q.query(
    `UPDATE isp_ips SET status = 'held', batch_id = NULL, held_by_order_id = $2::text, updated_at = $3::timestamptz
     WHERE batch_id = $1::text AND status = 'allocated' RETURNING id`,
    [batchId, orderId, at],
  );
  return rows.length;
}

/** The IPs held for an order become its batch's (allocated); returns their ids. */
export async function allocateHeldIps(q: Sql, orderId: string, batchId: string, at: Date): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `UPDATE isp_ips SET status = 'allocated', batch_id = $2::text, held_by_order_id = NULL, updated_at = $3::timestamptz
     WHERE held_by_order_id = $1::text AND status = 'held' RETURNING id`,
    [orderId, batchId, at],
  );
  return rows.map((r) => r.id).sort();
}

/** The IPs held for an order go back to stock; returns how many went back to which place. */
export async function releaseHeldIps(q: Sql, orderId: string, at: Date): Promise<ReturnedStock> {
  const rows = await q.query<{ country: string; city: string; asn: string | number; n: string | number }>(
    `WITH back AS (
       UPDATE isp_ips SET status = 'available', held_by_order_id = NULL, updated_at = $2::timestamptz
       WHERE held_by_order_id = $1::text AND status = 'held' RETURNING country, city, asn)
     SELECT country, city, asn::int8 AS asn, count(*)::int8 AS n FROM back GROUP BY country, city, asn
     ORDER BY country, city, asn`,
    [orderId, at],
  );
  return rows.map((r) => ({ country: r.country, city: r.city, asn: Number(r.asn), available: Number(r.n) }));
}
