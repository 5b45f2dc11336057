/**
 * ISP stock as orders take it (SPEC §6): claiming and unclaiming IPs for a batch, counting what a
 * place has available, the places a substitute may come from, and the country's claim lock.
 *
 * A new order claims its IPs with claimFreeIps: `FOR UPDATE SKIP LOCKED` on the IP rows of its
 * place, no wider lock, so orders of one country (or one place) run side by side and only ever
 * touch the rows they take. When that comes up short, the short answer may only mean that other
 * orders' claims are in flight (and may yet roll back): the order gives its partial claim back (a
 * savepoint, see app/isp/allocate-stock.ts) and asks again with claimIpsExact, which waits for
 * those claims to end and then takes all it asks for or nothing, so 200 concurrent orders of 5
 * for 500 IPs give exactly 100 batches.
 *
 * The country's transaction-scoped advisory lock (lockIspStock) serialises what must see a
 * settled stock and wait queue of the country: an order that found its place short and may wait,
 * serving the wait queue, releases, replacements, refreshes, expiry, pay-later holds. An order's
 * claim never waits for it (but the waiting one, which holds no IP row then); a lock holder's own
 * claims (claimIps) skip the rows of orders' claims in flight rather than wait for them; and only
 * claimIpsExact waits for rows, holding none of the country's stock itself. So no cycle of waits
 * can form.
 *
 * IPs that orders already waiting for stock could use are theirs (first come, first served): the
 * two order claims leave out the places of the country's open wait queue in the same statement
 * (one snapshot), so an order can never see released stock without the waiter queued before it.
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
 * The available IPs of a place ($2 country, $3 city or null, $4 ASN or null) and the allocation of
 * the `picked` ones to the batch ($1) at $6: the parts every claim statement shares.
 */
const AVAILABLE_IN_PLACE = `SELECT id FROM isp_ips
       WHERE status = 'available' AND country = $2::text
         AND ($3::text IS NULL OR city = $3::text)
         AND ($4::int8 IS NULL OR asn = $4::int8)`;
const ALLOCATE_PICKED = `UPDATE isp_ips i SET status = 'allocated', batch_id = $1::text, updated_at = $6::timestamptz
     FROM picked WHERE i.id = picked.id
     RETURNING i.id, i.address, i.port, i.city, i.asn::int8 AS asn`;

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
       ${AVAILABLE_IN_PLACE}
         ${exclude}
       ORDER BY id
       LIMIT $5::int8
       FOR UPDATE SKIP LOCKED)
     ${ALLOCATE_PICKED}`,
    params,
  );
}

/** `AND NOT (the row is in a place the country's open wait queue asks for)`. */
const NOT_WAITED_FOR = `AND NOT EXISTS (
           SELECT 1 FROM isp_wait_queue w
           WHERE w.country = isp_ips.country AND w.served_at IS NULL AND w.cancelled_at IS NULL
             AND (w.city IS NULL OR w.city = isp_ips.city) AND (w.asn IS NULL OR w.asn = isp_ips.asn))`;

/** What a new order's claim takes: `quantity` IPs of the place for the batch, at `at`. */
export interface OrderClaim extends StockPlaceFilter {
  batchId: string;
  quantity: number;
  at: Date;
}

/**
 * A new order's claim: up to `quantity` available IPs of the place (lowest ids first) that no
 * other transaction holds and no waiting order asks for, in one statement. Fewer than asked may
 * mean short stock or claims in flight: the caller rolls the partial claim back and asks
 * claimIpsExact.
 */
export async function claimFreeIps(q: Sql, c: OrderClaim): Promise<ClaimedIp[]> {
  return q.query<ClaimedIp>(
    `WITH picked AS MATERIALIZED (
       ${AVAILABLE_IN_PLACE}
         ${NOT_WAITED_FOR}
       ORDER BY id
       LIMIT $5::int8
       FOR UPDATE SKIP LOCKED)
     ${ALLOCATE_PICKED}`,
    [c.batchId, c.country, c.city, c.asn, c.quantity, c.at],
    { prepare: true },
  );
}

/**
 * The exact claim, all or nothing: locks every available IP of the place that no waiting order
 * asks for, waiting for the transactions that hold any of them (claims in flight) to end, then
 * takes the lowest `quantity` of them if there are that many (rows are locked in id order, so two
 * exact claims cannot wait for each other). `available` is how many there were once the claims in
 * flight had ended: what the place really has; `ips` is empty when short. The caller holds no IP
 * row of the country's stock (see the module's note on waits).
 */
export async function claimIpsExact(q: Sql, c: OrderClaim): Promise<{ available: number; ips: ClaimedIp[] }> {
  const rows = await q.query<{ available: number } & { [K in keyof ClaimedIp]: ClaimedIp[K] | null }>(
    `WITH open AS MATERIALIZED (
       ${AVAILABLE_IN_PLACE}
         ${NOT_WAITED_FOR}
       ORDER BY id
       FOR UPDATE),
     picked AS MATERIALIZED (
       SELECT id FROM open WHERE (SELECT count(*) FROM open) >= $5::int8 ORDER BY id LIMIT $5::int8),
     claimed AS (
       ${ALLOCATE_PICKED})
     SELECT (SELECT count(*) FROM open)::int8 AS available, c.id, c.address, c.port, c.city, c.asn
     FROM (SELECT 1) AS one LEFT JOIN claimed c ON true
     ORDER BY c.id`,
    [c.batchId, c.country, c.city, c.asn, c.quantity, c.at],
    { prepare: true },
  );
  const ips = rows
    .filter((r) => r.id !== null)
    .map((r) => ({ id: r.id!, address: r.address!, port: r.port!, city: r.city!, asn: r.asn! }));
  return { available: rows[0]?.available ?? 0, ips };
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
