/**
 * The write side of an ISP batch's life once it has IPs (SPEC §6): swapping IPs for fresh ones
 * (refresh, single-IP replacement), the replacement records, the refresh flag of the billing
 * period, and the release of a batch with its IPs back to stock. Claiming the fresh IPs is
 * claimIps (isp-stock.ts), under the country's stock lock.
 */
import { type BatchStatus, batchMove } from '../domain/batch-lifecycle.ts';
import type { Sql } from './client.ts';

/** IPs that went back to stock, counted by place (what evaluateStockAlerts takes as `added`). */
export type ReturnedStock = { country: string; city: string; asn: number; available: number }[];

/** An IP as the API shows it. */
export interface IpRow {
  id: string;
  ip: string;
  port: number;
  country: string;
  city: string;
  asn: number;
}

/** Where an IP id stands for an account: in one of its batches and live there, or not. */
export interface IpLink {
  batchId: string;
  /** still serving that batch (not released from it) */
  live: boolean;
}

/**
 * The account's latest batch link of an IP (live first), or null when the IP never served one of
 * the account's batches (another tenant's IP, or an unknown id: not_found).
 */
export async function findIpLink(q: Sql, ipId: string, accountId: string): Promise<IpLink | null> {
  const rows = await q.query<{ batch_id: string; live: boolean }>(
    `SELECT bi.batch_id, (bi.released_at IS NULL) AS live
     FROM isp_batch_ips bi JOIN isp_batches b ON b.id = bi.batch_id
     WHERE bi.ip_id = $1::text AND b.account_id = $2::text
     ORDER BY (bi.released_at IS NULL) DESC, bi.assigned_at DESC
     LIMIT 1`,
    [ipId, accountId],
  );
  const r = rows[0];
  return r ? { batchId: r.batch_id, live: r.live } : null;
}

/** Whether the IP is live in the batch now (read under the batch's lock). */
export async function isLiveInBatch(q: Sql, batchId: string, ipId: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM isp_batch_ips WHERE batch_id = $1::text AND ip_id = $2::text AND released_at IS NULL`,
    [batchId, ipId],
  );
  return rows.length === 1;
}

/** The columns of an IpRow (`i` is isp_ips), for mapIpRow: the one way IPs are read for the API. */
export const IP_ROW_COLS = 'i.id, i.address, i.port, i.country, i.city, i.asn::int8 AS asn';

export function mapIpRow(r: Record<string, unknown>): IpRow {
  return {
    id: r.id as string,
    ip: r.address as string,
    port: r.port as number,
    country: r.country as string,
    city: r.city as string,
    asn: r.asn as number,
  };
}

/** IPs by id, as the IP list shows them, in the order asked. */
export async function getIps(q: Sql, ipIds: readonly string[]): Promise<IpRow[]> {
  const rows = await q.query(
    `SELECT ${IP_ROW_COLS}
     FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n) JOIN isp_ips i ON i.id = u.id
     ORDER BY u.n`,
    [[...ipIds]],
  );
  return rows.map(mapIpRow);
}

/**
 * Swaps IPs of a batch in one statement: the old ones' links are released (with `reason`) and they
 * go back to stock; the new ones (already claimed for the batch by claimIps) are linked. Returns
 * the places of the IPs that went back to stock, for the stock alerts.
 */
export async function swapBatchIps(
  q: Sql,
  s: { batchId: string; oldIds: readonly string[]; newIds: readonly string[]; reason: string; at: Date },
): Promise<ReturnedStock> {
  return q.query(
    `WITH links AS (
       UPDATE isp_batch_ips SET released_at = $4::timestamptz, release_reason = $5::text
       WHERE batch_id = $1::text AND ip_id = ANY($2::text[]) AND released_at IS NULL RETURNING ip_id),
     back AS (
       UPDATE isp_ips SET status = 'available', batch_id = NULL, updated_at = $4::timestamptz
       WHERE id IN (SELECT ip_id FROM links) AND batch_id = $1::text AND status = 'allocated'
       RETURNING country, city, asn),
     fresh AS (
       INSERT INTO isp_batch_ips (batch_id, ip_id, assigned_at)
       SELECT $1::text, u.ip_id, $4::timestamptz FROM unnest($3::text[]) AS u(ip_id)
       RETURNING 1)
     SELECT country, city, asn::int8 AS asn, count(*)::int8 AS available,
       (SELECT count(*) FROM fresh)::int8 AS linked
     FROM back GROUP BY country, city, asn`,
    [s.batchId, [...s.oldIds], [...s.newIds], s.at, s.reason],
  );
}

/** Records one replacement (single IP; a refresh records one per IP with reason 'refresh'). */
export async function insertReplacements(
  q: Sql,
  rows: readonly {
    id: string;
    batchId: string;
    oldIpId: string;
    newIpId: string;
    reason: string;
    free: boolean;
    countsTowardQuota: boolean;
    orderId: string | null;
  }[],
  at: Date,
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO isp_replacements (id, batch_id, old_ip_id, new_ip_id, reason, free, counts_toward_quota, order_id, at)
     SELECT r.id, r.batch_id, r.old_ip_id, r.new_ip_id, r.reason, r.free, r.counts_toward_quota, r.order_id,
       $2::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS r(id text, batch_id text, old_ip_id text, new_ip_id text, reason text,
       free boolean, counts_toward_quota boolean, order_id text)`,
    [
      JSON.stringify(
        rows.map((r) => ({
          id: r.id,
          batch_id: r.batchId,
          old_ip_id: r.oldIpId,
          new_ip_id: r.newIpId,
          reason: r.reason,
          free: r.free,
          counts_toward_quota: r.countsTowardQuota,
          order_id: r.orderId,
        })),
      ),
      at,
    ],
  );
}

/** The batch used its refresh in the period starting at `periodStart`. */
export async function markRefreshUsed(q: Sql, batchId: string, periodStart: Date, at: Date): Promise<void> {
  await q.query(
    `UPDATE isp_batches SET refresh_used_in_period = true, refresh_period_start = $2::timestamptz,
       updated_at = $3::timestamptz
     WHERE id = $1::text`,
    [batchId, periodStart, at],
  );
}

/**
 * Releases a batch that has IPs (ready, expired or provisioning): the batch becomes 'released',
 * its live links are released (reason 'released') and its IPs go back to stock, in one statement.
 * Returns the places of the IPs returned to stock, or null when the batch was not in one of those
 * states.
 */
export async function releaseBatchWithIps(
  q: Sql,
  batchId: string,
  at: Date,
  /** the statuses it may be released from (each a move of the batch table), and the reason its IPs record */
  how: { from: readonly BatchStatus[]; reason: string } = {
    from: ['ready', 'expired', 'provisioning'],
    reason: 'released',
  },
): Promise<ReturnedStock | null> {
  const move = batchMove(how.from, 'released');
  const rows = await q.query<{
    id: string;
    places: { country: string; city: string; asn: number; available: number }[];
  }>(
    `WITH bat AS (
       UPDATE isp_batches SET status = $5::text, released_at = $2::timestamptz, updated_at = $2::timestamptz
       WHERE id = $1::text AND status = ANY($3::text[]) RETURNING id),
     links AS (
       UPDATE isp_batch_ips SET released_at = $2::timestamptz, release_reason = $4::text
       WHERE batch_id = (SELECT id FROM bat) AND released_at IS NULL RETURNING ip_id),
     back AS (
       UPDATE isp_ips SET status = 'available', batch_id = NULL, updated_at = $2::timestamptz
       WHERE id IN (SELECT ip_id FROM links) AND batch_id = $1::text AND status = 'allocated'
       RETURNING country, city, asn)
     SELECT bat.id, COALESCE((
         SELECT jsonb_agg(jsonb_build_object('country', p.country, 'city', p.city, 'asn', p.asn,
           'available', p.n))
         FROM (SELECT country, city, asn::int8 AS asn, count(*)::int8 AS n FROM back GROUP BY country, city, asn) p),
       '[]'::jsonb) AS places
     FROM bat`,
    [batchId, at, move.from, how.reason, move.to],
  );
  const r = rows[0];
  if (!r) return null;
  return r.places.map((p) => ({
    country: p.country,
    city: p.city,
    asn: Number(p.asn),
    available: Number(p.available),
  }));
}
