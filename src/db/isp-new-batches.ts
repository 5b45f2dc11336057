/**
 * New ISP batches (SPEC §6): inserting a batch with its IPs, and the two ways out of
 * `waiting_inventory` — stock arrived (provisioning) or the order was cancelled (released). The
 * status changes are moves of the batch table (domain/batch-lifecycle.ts).
 */
import { batchMove } from '../domain/batch-lifecycle.ts';
import type { Sql } from './client.ts';

const STOCK_ARRIVED = batchMove(['waiting_inventory'], 'provisioning');
const WAIT_CANCELLED = batchMove(['waiting_inventory'], 'released');

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
       UPDATE isp_batches SET status = $6::text, period_started_at = $3::timestamptz,
         expires_at = $4::timestamptz, updated_at = $3::timestamptz
       WHERE id = $1::text AND status = ANY($5::text[])
       RETURNING id),
     ips AS (
       INSERT INTO isp_batch_ips (batch_id, ip_id, assigned_at)
       SELECT bat.id, u.ip_id, $3::timestamptz FROM bat, unnest($2::text[]) AS u(ip_id)
       RETURNING 1)
     SELECT id, (SELECT count(*) FROM ips) AS n FROM bat`,
    [batchId, [...ipIds], s.at, s.expiresAt, STOCK_ARRIVED.from, STOCK_ARRIVED.to],
  );
  return rows.length === 1;
}

/** A waiting batch that never got IPs is released (its order was cancelled). False if not waiting. */
export async function releaseWaitingBatch(q: Sql, batchId: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE isp_batches SET status = $4::text, released_at = $2::timestamptz, updated_at = $2::timestamptz
     WHERE id = $1::text AND status = ANY($3::text[]) RETURNING id`,
    [batchId, at, WAIT_CANCELLED.from, WAIT_CANCELLED.to],
  );
  return rows.length === 1;
}
