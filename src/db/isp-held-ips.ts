/**
 * Pay later (SPEC §4): IPs held for an unpaid ISP order (isp_ips status 'held', held_by_order_id),
 * which become its batch's when it is paid and go back to stock when it is cancelled.
 */
import type { Sql } from './client.ts';
import type { ReturnedStock } from './isp-lifecycle.ts';

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
