/**
 * The ISP wait queue (SPEC §6, `on_shortage: "wait"`): orders waiting for stock, first come first
 * served, and the places they keep for themselves.
 */
import type { Sql } from './client.ts';
import type { ReservedPlace } from './isp-stock.ts';

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
