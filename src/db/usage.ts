/** Traffic pools, usage lines from the proxy gateways, and the facts the gateway authorize needs. */
import type { Sql } from './client.ts';

export interface Pool {
  product: string;
  remainingBytes: number;
  purchasedBytes: number;
  usedBytes: number;
}

/** The account's traffic pools (products never bought or used have no row). */
export async function listPools(q: Sql, accountId: string): Promise<Pool[]> {
  const rows = await q.query<{
    product: string;
    remaining_bytes: number;
    purchased_bytes: number;
    used_bytes: number;
  }>(
    `SELECT product, remaining_bytes, purchased_bytes, used_bytes FROM traffic_pools
     WHERE account_id = $1 ORDER BY product`,
    [accountId],
  );
  return rows.map((r) => ({
    product: r.product,
    remainingBytes: r.remaining_bytes,
    purchasedBytes: r.purchased_bytes,
    usedBytes: r.used_bytes,
  }));
}

export interface SubuserRef {
  id: string;
  accountId: string;
  username: string;
}

/** Subusers named by id or by username (usage lines may carry either). */
export async function findSubuserRefs(q: Sql, refs: string[]): Promise<SubuserRef[]> {
  if (refs.length === 0) return [];
  const rows = await q.query<{ id: string; account_id: string; username: string }>(
    `SELECT id, account_id, username FROM subusers WHERE id = ANY($1::text[]) OR username = ANY($1::text[])`,
    [refs],
  );
  return rows.map((r) => ({ id: r.id, accountId: r.account_id, username: r.username }));
}

export interface UsageLineRow {
  id: string;
  subuserId: string;
  accountId: string;
  product: string;
  bytes: number;
  at: Date;
  /** the pool ledger entry this line will be drawn down by (null for 0 bytes) */
  ledgerEntryId: string | null;
}

/**
 * Inserts usage lines, skipping ids already recorded (also by a concurrent batch: the unique key
 * makes the second writer wait for the first and then skip). Rows go in id order so that two
 * batches sharing ids always lock them in the same order. Returns the lines actually inserted.
 */
export async function insertUsageLines(
  q: Sql,
  lines: UsageLineRow[],
  recordedAt: Date,
): Promise<Omit<UsageLineRow, 'at'>[]> {
  if (lines.length === 0) return [];
  const rows = await q.query<{
    id: string;
    subuser_id: string;
    account_id: string;
    product: string;
    bytes: number;
    ledger_entry_id: string | null;
  }>(
    `INSERT INTO usage_lines (id, subuser_id, account_id, product, bytes, at, recorded_at, ledger_entry_id)
     SELECT l.id, l.subuser_id, l.account_id, l.product, l.bytes, l.at, $2::timestamptz, l.ledger_entry_id
     FROM jsonb_to_recordset($1::jsonb) AS l(id text, subuser_id text, account_id text, product text,
       bytes bigint, at timestamptz, ledger_entry_id text)
     ORDER BY l.id
     ON CONFLICT (id) DO NOTHING
     RETURNING id, subuser_id, account_id, product, bytes, ledger_entry_id`,
    [
      JSON.stringify(
        lines.map((l) => ({
          id: l.id,
          subuser_id: l.subuserId,
          account_id: l.accountId,
          product: l.product,
          bytes: l.bytes,
          at: l.at.toISOString(),
          ledger_entry_id: l.ledgerEntryId,
        })),
      ),
      recordedAt,
    ],
  );
  return rows.map((r) => ({
    id: r.id,
    subuserId: r.subuser_id,
    accountId: r.account_id,
    product: r.product,
    bytes: r.bytes,
    ledgerEntryId: r.ledger_entry_id ?? null,
  }));
}

/** Adds bytes to subusers' counters (one row per subuser and product), in a stable lock order. */
export async function addSubuserUsage(
  q: Sql,
  rows: { subuserId: string; product: string; bytes: number }[],
): Promise<void> {
  if (rows.length === 0) return;
  await q.query(
    `INSERT INTO subuser_usage AS u (subuser_id, product, used_bytes)
     SELECT r.subuser_id, r.product, r.bytes
     FROM jsonb_to_recordset($1::jsonb) AS r(subuser_id text, product text, bytes bigint)
     ORDER BY r.subuser_id, r.product
     ON CONFLICT (subuser_id, product) DO UPDATE SET used_bytes = u.used_bytes + EXCLUDED.used_bytes`,
    [JSON.stringify(rows.map((r) => ({ subuser_id: r.subuserId, product: r.product, bytes: r.bytes })))],
  );
}

export interface AuthorizeRow {
  subuserId: string;
  accountId: string;
  subuserStatus: 'active' | 'disabled';
  accountStatus: 'active' | 'suspended';
  poolRemainingBytes: number;
  capBytes: number | null;
  usedBytes: number;
}

/** Everything the gateway authorize decides on, in one statement (it is a hot path). */
export async function getAuthorizeFacts(
  q: Sql,
  username: string,
  product: string,
): Promise<AuthorizeRow | null> {
  const rows = await q.query<{
    id: string;
    account_id: string;
    status: AuthorizeRow['subuserStatus'];
    account_status: AuthorizeRow['accountStatus'];
    remaining_bytes: number;
    cap_bytes: number | null;
    used_bytes: number;
  }>(
    `SELECT s.id, s.account_id, s.status, a.status AS account_status,
            COALESCE(p.remaining_bytes, 0)::int8 AS remaining_bytes,
            u.cap_bytes, COALESCE(u.used_bytes, 0)::int8 AS used_bytes
     FROM subusers s
     JOIN accounts a ON a.id = s.account_id
     LEFT JOIN traffic_pools p ON p.account_id = s.account_id AND p.product = $2
     LEFT JOIN subuser_usage u ON u.subuser_id = s.id AND u.product = $2
     WHERE s.username = $1`,
    [username, product],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    subuserId: r.id,
    accountId: r.account_id,
    subuserStatus: r.status,
    accountStatus: r.account_status,
    poolRemainingBytes: r.remaining_bytes,
    capBytes: r.cap_bytes ?? null,
    usedBytes: r.used_bytes,
  };
}
