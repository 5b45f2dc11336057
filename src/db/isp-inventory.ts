/** ISP stock (SPEC §6): importing IPs and counting them by country, city and ASN. */
import type { Sql } from './client.ts';

export interface NewIp {
  id: string;
  address: string;
  port: number;
  country: string;
  city: string;
  asn: number;
  lat: number | null;
  lon: number | null;
}

/**
 * Inserts IPs in one statement; an address already in the table is left alone. Returns the
 * addresses that were inserted (the others were already in stock).
 */
export async function insertIps(q: Sql, ips: readonly NewIp[], at: Date): Promise<Set<string>> {
  if (ips.length === 0) return new Set();
  const rows = await q.query<{ address: string }>(
    `INSERT INTO isp_ips (id, address, port, country, city, asn, lat, lon, status, imported_at, updated_at)
     SELECT t.id, t.address, t.port, t.country, t.city, t.asn, t.lat, t.lon, 'available', $9::timestamptz, $9::timestamptz
     FROM unnest($1::text[], $2::text[], $3::int4[], $4::text[], $5::text[], $6::int8[], $7::float8[], $8::float8[])
       AS t(id, address, port, country, city, asn, lat, lon)
     ON CONFLICT (address) DO NOTHING
     RETURNING address`,
    [
      ips.map((r) => r.id),
      ips.map((r) => r.address),
      ips.map((r) => r.port),
      ips.map((r) => r.country),
      ips.map((r) => r.city),
      ips.map((r) => r.asn),
      ips.map((r) => r.lat),
      ips.map((r) => r.lon),
      at,
    ],
  );
  return new Set(rows.map((r) => r.address));
}

export interface StockFilter {
  countries?: readonly string[];
  city?: string;
  asn?: number;
}

/** The IPs of one place (country × city × ASN) by status. */
export interface StockCount {
  country: string;
  city: string;
  asn: number;
  available: number;
  held: number;
  allocated: number;
  retired: number;
}

/** Counts by place and status, every place that has a row, sorted by country, city, ASN. */
export async function countStock(q: Sql, f: StockFilter = {}): Promise<StockCount[]> {
  const rows = await q.query<{
    country: string;
    city: string;
    asn: number;
    available: number;
    held: number;
    allocated: number;
    retired: number;
  }>(
    `SELECT country, city, asn::int8 AS asn,
       count(*) FILTER (WHERE status = 'available')::int8 AS available,
       count(*) FILTER (WHERE status = 'held')::int8 AS held,
       count(*) FILTER (WHERE status = 'allocated')::int8 AS allocated,
       count(*) FILTER (WHERE status = 'retired')::int8 AS retired
     FROM isp_ips
     WHERE ($1::text[] IS NULL OR country = ANY($1::text[]))
       AND ($2::text IS NULL OR city = $2::text)
       AND ($3::int8 IS NULL OR asn = $3::int8)
     GROUP BY country, city, asn
     ORDER BY country, city, asn`,
    [f.countries ? [...f.countries] : null, f.city ?? null, f.asn ?? null],
  );
  return rows.map((r) => ({
    country: r.country,
    city: r.city,
    asn: r.asn,
    available: r.available,
    held: r.held,
    allocated: r.allocated,
    retired: r.retired,
  }));
}

/** Available IPs only, by place: what a customer can buy now (uses the partial stock index). */
export async function countAvailable(
  q: Sql,
  f: StockFilter = {},
): Promise<{ country: string; city: string; asn: number; available: number }[]> {
  const rows = await q.query<{ country: string; city: string; asn: number; available: number }>(
    `SELECT country, city, asn::int8 AS asn, count(*)::int8 AS available
     FROM isp_ips
     WHERE status = 'available'
       AND ($1::text[] IS NULL OR country = ANY($1::text[]))
       AND ($2::text IS NULL OR city = $2::text)
       AND ($3::int8 IS NULL OR asn = $3::int8)
     GROUP BY country, city, asn
     ORDER BY country, city, asn`,
    [f.countries ? [...f.countries] : null, f.city ?? null, f.asn ?? null],
  );
  return rows;
}
