/**
 * ISP stock for tests: isp_ips rows inserted directly (the inventory import is tested on its own),
 * and the reads ISP order tests assert on.
 */
import type { Sql } from '../../src/db/client.ts';
import { ulidIds } from '../../src/ids.ts';

const ids = ulidIds();
let next = 0;

/** A fresh address for this test file's database: 10.0.0.1, 10.0.0.2, ... */
function nextAddress(): string {
  next += 1;
  return `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`;
}

/** Adds `count` available IPs at a place; returns their ids. */
export async function addStock(
  db: Sql,
  p: { country: string; city: string; asn: number; count: number; lat?: number; lon?: number; at?: Date },
): Promise<string[]> {
  const rows = Array.from({ length: p.count }, () => ({ id: ids.next('ip'), address: nextAddress() }));
  await db.query(
    `INSERT INTO isp_ips (id, address, port, country, city, asn, lat, lon, status, imported_at, updated_at)
     SELECT u.id, u.address, 8000, $3::text, $4::text, $5::int8, $6::float8, $7::float8, 'available',
       $8::timestamptz, $8::timestamptz
     FROM unnest($1::text[], $2::text[]) AS u(id, address)`,
    [
      rows.map((r) => r.id),
      rows.map((r) => r.address),
      p.country,
      p.city,
      p.asn,
      p.lat ?? null,
      p.lon ?? null,
      p.at ?? new Date('2026-05-28T10:00:00Z'),
    ],
  );
  return rows.map((r) => r.id);
}

/** Available IPs at a place (city and ASN optional). */
export async function availableAt(
  db: Sql,
  p: { country: string; city?: string; asn?: number },
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `SELECT count(*)::int8 AS n FROM isp_ips WHERE status = 'available' AND country = $1::text
       AND ($2::text IS NULL OR city = $2::text) AND ($3::int8 IS NULL OR asn = $3::int8)`,
    [p.country, p.city ?? null, p.asn ?? null],
  );
  return rows[0]!.n;
}

export interface BatchRow {
  id: string;
  account_id: string;
  order_id: string;
  subuser_id: string;
  country: string;
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  status: string;
  auto_renew: boolean;
  substitution: Record<string, unknown> | null;
  period_started_at: Date | null;
  expires_at: Date | null;
}

export async function batchRow(db: Sql, id: string): Promise<BatchRow | undefined> {
  const rows = await db.query<BatchRow>(
    `SELECT id, account_id, order_id, subuser_id, country, city, asn::int8 AS asn, quantity, months, status,
       auto_renew, substitution, period_started_at, expires_at
     FROM isp_batches WHERE id = $1`,
    [id],
  );
  return rows[0];
}

/** The live IPs of a batch, with the place of each. */
export async function batchIps(
  db: Sql,
  batchId: string,
): Promise<{ ip_id: string; status: string; batch_id: string | null; city: string; asn: number }[]> {
  return db.query(
    `SELECT bi.ip_id, i.status, i.batch_id, i.city, i.asn::int8 AS asn
     FROM isp_batch_ips bi JOIN isp_ips i ON i.id = bi.ip_id
     WHERE bi.batch_id = $1 AND bi.released_at IS NULL ORDER BY bi.ip_id`,
    [batchId],
  );
}

export async function waitRow(
  db: Sql,
  orderId: string,
): Promise<{ queued_at: Date; served_at: Date | null; cancelled_at: Date | null } | undefined> {
  const rows = await db.query<{ queued_at: Date; served_at: Date | null; cancelled_at: Date | null }>(
    'SELECT queued_at, served_at, cancelled_at FROM isp_wait_queue WHERE order_id = $1',
    [orderId],
  );
  return rows[0];
}

/** Jobs of a kind whose payload names the batch (or order), oldest first. */
export async function jobsFor(
  db: Sql,
  kind: string,
  key: { batch_id?: string; order_id?: string } = {},
): Promise<{ kind: string; payload: Record<string, unknown>; run_at: Date; done_at: Date | null }[]> {
  return db.query(
    `SELECT kind, payload, run_at, done_at FROM jobs
     WHERE kind = $1 AND ($2::text IS NULL OR payload ->> 'batch_id' = $2) AND ($3::text IS NULL OR payload ->> 'order_id' = $3)
     ORDER BY id`,
    [kind, key.batch_id ?? null, key.order_id ?? null],
  );
}
