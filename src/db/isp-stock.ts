/**
 * ISP stock as orders take it (SPEC §6): the country's claim lock, claiming and unclaiming IPs for
 * a batch, counting what a place has available, and the places a substitute may come from.
 *
 * Claims of one country are serialized by a transaction-scoped advisory lock (lockIspStock), taken
 * first in every transaction that claims stock for an order or serves the wait queue. Within it,
 * `FOR UPDATE SKIP LOCKED` still guards the rows against any other writer; the lock is what makes
 * a short claim mean "not enough stock" rather than "another order's claim is in flight and may
 * yet roll back", so 40 concurrent orders of 5 for 100 IPs give exactly 20 batches.
 */
import type { LatLon } from '../domain/gazetteer.ts';
import type { StockPlace } from '../domain/substitution.ts';
import type { Sql } from './client.ts';

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
