/**
 * Reading and editing ISP batches once they exist (SPEC §6): the batch with its bound subuser's
 * credentials, its live IPs, the replacements counted toward the quota, password rotation,
 * rebinding, auto-renew, and the provisioning outcome. Creating batches lives in isp-new-batches.ts.
 */
import { type BatchStatus, batchMove } from '../domain/batch-lifecycle.ts';
import type { Sql } from './client.ts';
import { IP_ROW_COLS, type IpRow, mapIpRow } from './isp-lifecycle.ts';

export interface Batch {
  id: string;
  accountId: string;
  orderId: string;
  subuserId: string;
  /** the bound subuser's proxy username */
  username: string;
  /** the bound subuser's proxy password */
  subuserPassword: string;
  /** the batch's own password after a rotation; null: the subuser's applies */
  ownPassword: string | null;
  country: string;
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  status: BatchStatus;
  autoRenew: boolean;
  substitution: Record<string, unknown> | null;
  periodStartedAt: Date | null;
  expiresAt: Date | null;
  graceUntil: Date | null;
  refreshUsedInPeriod: boolean;
  /** the start of the billing period the refresh was used in (migration 010); null: never */
  refreshPeriodStart: Date | null;
  readyAt: Date | null;
  releasedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLS = `b.id, b.account_id, b.order_id, b.subuser_id, s.username, s.password AS subuser_password,
  b.password AS own_password, b.country, b.city, b.asn::int8 AS asn, b.quantity, b.months, b.status, b.auto_renew,
  b.substitution, b.period_started_at, b.expires_at, b.grace_until, b.refresh_used_in_period, b.refresh_period_start, b.ready_at,
  b.released_at, b.created_at, b.updated_at`;

function mapBatch(r: Record<string, unknown>): Batch {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    orderId: r.order_id as string,
    subuserId: r.subuser_id as string,
    username: r.username as string,
    subuserPassword: r.subuser_password as string,
    ownPassword: (r.own_password as string | null) ?? null,
    country: r.country as string,
    city: (r.city as string | null) ?? null,
    asn: (r.asn as number | null) ?? null,
    quantity: r.quantity as number,
    months: r.months as number,
    status: r.status as BatchStatus,
    autoRenew: r.auto_renew as boolean,
    substitution: (r.substitution as Record<string, unknown> | null) ?? null,
    periodStartedAt: (r.period_started_at as Date | null) ?? null,
    expiresAt: (r.expires_at as Date | null) ?? null,
    graceUntil: (r.grace_until as Date | null) ?? null,
    refreshUsedInPeriod: r.refresh_used_in_period as boolean,
    refreshPeriodStart: (r.refresh_period_start as Date | null) ?? null,
    readyAt: (r.ready_at as Date | null) ?? null,
    releasedAt: (r.released_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/**
 * A batch of the account (of any account when accountId is null); with forUpdate the batch row
 * is locked for the rest of the transaction.
 */
export async function getBatch(
  q: Sql,
  id: string,
  accountId: string | null,
  opts: { forUpdate?: boolean } = {},
): Promise<Batch | null> {
  const rows = await q.query(
    `SELECT ${COLS} FROM isp_batches b JOIN subusers s ON s.id = b.subuser_id
     WHERE b.id = $1::text AND ($2::text IS NULL OR b.account_id = $2::text)${opts.forUpdate ? ' FOR UPDATE OF b' : ''}`,
    [id, accountId],
  );
  return rows[0] ? mapBatch(rows[0]) : null;
}

/** A page of the account's batches, newest first; a foreign cursor yields nothing. */
export async function listBatches(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string; status?: string },
): Promise<Batch[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM isp_batches b JOIN subusers s ON s.id = b.subuser_id
     WHERE b.account_id = $1::text
       AND ($2::text IS NULL OR b.status = $2::text)
       AND ($3::text IS NULL OR (b.created_at, b.id) < (
             SELECT c.created_at, c.id FROM isp_batches c WHERE c.id = $3::text AND c.account_id = $1::text))
     ORDER BY b.created_at DESC, b.id DESC
     LIMIT $4::int4`,
    [accountId, page.status ?? null, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapBatch);
}

/**
 * Replacements that counted toward the free quota, per batch, within each batch's period
 * [start, end). Batches without any are absent from the map.
 */
export async function countQuotaReplacements(
  q: Sql,
  periods: readonly { batchId: string; start: Date; end: Date }[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (periods.length === 0) return out;
  const rows = await q.query<{ batch_id: string; n: number }>(
    `SELECT p.batch_id, count(r.*)::int8 AS n
     FROM jsonb_to_recordset($1::jsonb) AS p(batch_id text, period_start timestamptz, period_end timestamptz)
     JOIN isp_replacements r ON r.batch_id = p.batch_id
       AND r.counts_toward_quota AND r.at >= p.period_start AND r.at < p.period_end
     GROUP BY p.batch_id`,
    [
      JSON.stringify(
        periods.map((p) => ({
          batch_id: p.batchId,
          period_start: p.start.toISOString(),
          period_end: p.end.toISOString(),
        })),
      ),
    ],
  );
  for (const r of rows) out.set(r.batch_id, r.n);
  return out;
}

/** The batch's live IPs (not released from it), in the order they were assigned. */
export async function listLiveBatchIps(q: Sql, batchId: string): Promise<IpRow[]> {
  const rows = await q.query(
    `SELECT ${IP_ROW_COLS}
     FROM isp_batch_ips bi JOIN isp_ips i ON i.id = bi.ip_id
     WHERE bi.batch_id = $1::text AND bi.released_at IS NULL
     ORDER BY bi.assigned_at, i.id`,
    [batchId],
  );
  return rows.map(mapIpRow);
}

/**
 * Changes the given fields of a batch (undefined: unchanged). `password: null` clears the batch's
 * own password so the bound subuser's applies again.
 */
export async function updateBatchRow(
  q: Sql,
  id: string,
  patch: { password?: string | null; subuserId?: string; autoRenew?: boolean },
  at: Date,
): Promise<void> {
  await q.query(
    `UPDATE isp_batches SET
       password = CASE WHEN $2::boolean THEN $3::text ELSE password END,
       subuser_id = COALESCE($4::text, subuser_id),
       auto_renew = COALESCE($5::boolean, auto_renew),
       updated_at = $6::timestamptz
     WHERE id = $1::text`,
    [
      id,
      patch.password !== undefined,
      patch.password ?? null,
      patch.subuserId ?? null,
      patch.autoRenew ?? null,
      at,
    ],
  );
}

const PROVISIONED = batchMove(['provisioning'], 'ready');

/**
 * The provisioner finished: a `provisioning` batch becomes `ready`. Returns false when the batch
 * is no longer provisioning (already ready, or released meanwhile): the caller then does nothing.
 */
export async function markBatchReady(q: Sql, id: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE isp_batches SET status = $4::text, ready_at = $2::timestamptz, updated_at = $2::timestamptz
     WHERE id = $1::text AND status = ANY($3::text[]) RETURNING id`,
    [id, at, PROVISIONED.from, PROVISIONED.to],
  );
  return rows.length === 1;
}
