/** Subusers: proxy credentials and per-product caps and usage counters. */
import type { Sql } from './client.ts';

export interface Subuser {
  id: string;
  accountId: string;
  username: string;
  password: string;
  name: string | null;
  isMain: boolean;
  status: 'active' | 'disabled';
  createdAt: Date;
  updatedAt: Date;
}

const COLS = 'id, account_id, username, password, name, is_main, status, created_at, updated_at';

export function mapSubuser(r: Record<string, unknown>): Subuser {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    username: r.username as string,
    password: r.password as string,
    name: (r.name as string | null) ?? null,
    isMain: r.is_main as boolean,
    status: r.status as Subuser['status'],
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** Inserts a subuser; null when the username is taken. */
export async function insertSubuser(
  q: Sql,
  s: Omit<Subuser, 'updatedAt' | 'status'>,
): Promise<Subuser | null> {
  const rows = await q.query(
    `INSERT INTO subusers (id, account_id, username, password, name, is_main, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (username) DO NOTHING RETURNING ${COLS}`,
    [s.id, s.accountId, s.username, s.password, s.name, s.isMain, s.createdAt],
  );
  return rows[0] ? mapSubuser(rows[0]) : null;
}

/** A subuser's cap and counter for one bandwidth product. */
export interface SubuserUsage {
  product: string;
  capBytes: number | null;
  usedBytes: number;
}

export interface SubuserWithUsage extends Subuser {
  usage: SubuserUsage[];
}

/**
 * A subuser of the account (of any account when accountId is null). `forUpdate` takes FOR NO KEY
 * UPDATE: it serializes writers of the subuser but lets usage ingest insert its counter rows (their
 * foreign key takes a key-share lock, which FOR UPDATE would block: a deadlock with ingest).
 */
export async function getSubuser(
  q: Sql,
  id: string,
  accountId: string | null,
  opts: { forUpdate?: boolean } = {},
): Promise<Subuser | null> {
  const rows = await q.query(
    `SELECT ${COLS} FROM subusers WHERE id = $1 AND ($2::text IS NULL OR account_id = $2)${opts.forUpdate ? ' FOR NO KEY UPDATE' : ''}`,
    [id, accountId],
  );
  return rows[0] ? mapSubuser(rows[0]) : null;
}

/** A page of the account's subusers, newest first; a foreign cursor yields nothing. */
export async function listSubusers(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Subuser[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM subusers
     WHERE account_id = $1
       AND ($2::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM subusers WHERE id = $2 AND account_id = $1))
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [accountId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapSubuser);
}

/** Changes the given fields (undefined: unchanged); returns the updated row. */
export async function updateSubuserRow(
  q: Sql,
  id: string,
  patch: { name?: string | null; password?: string; status?: Subuser['status'] },
  at: Date,
): Promise<Subuser> {
  const rows = await q.query(
    `UPDATE subusers SET
       name = CASE WHEN $2::boolean THEN $3::text ELSE name END,
       password = COALESCE($4::text, password),
       status = COALESCE($5::text, status),
       updated_at = $6
     WHERE id = $1 RETURNING ${COLS}`,
    [id, patch.name !== undefined, patch.name ?? null, patch.password ?? null, patch.status ?? null, at],
  );
  return mapSubuser(rows[0]!);
}

/** Sets (or, with null, removes) caps per product; the usage counters are left alone. */
export async function setCaps(
  q: Sql,
  subuserId: string,
  caps: { product: string; capBytes: number | null }[],
): Promise<void> {
  if (caps.length === 0) return;
  await q.query(
    `INSERT INTO subuser_usage AS u (subuser_id, product, cap_bytes)
     SELECT $1, c.product, c.cap_bytes
     FROM jsonb_to_recordset($2::jsonb) AS c(product text, cap_bytes bigint)
     ORDER BY c.product
     ON CONFLICT (subuser_id, product) DO UPDATE SET cap_bytes = EXCLUDED.cap_bytes`,
    [subuserId, JSON.stringify(caps.map((c) => ({ product: c.product, cap_bytes: c.capBytes })))],
  );
}

/** Caps and counters of the given subusers, by subuser id (products without a row are absent). */
async function listSubuserUsage(q: Sql, subuserIds: string[]): Promise<Map<string, SubuserUsage[]>> {
  const out = new Map<string, SubuserUsage[]>();
  if (subuserIds.length === 0) return out;
  const rows = await q.query<{
    subuser_id: string;
    product: string;
    cap_bytes: number | null;
    used_bytes: number;
  }>(
    `SELECT subuser_id, product, cap_bytes, used_bytes FROM subuser_usage
     WHERE subuser_id = ANY($1::text[]) ORDER BY subuser_id, product`,
    [subuserIds],
  );
  for (const r of rows) {
    const list = out.get(r.subuser_id) ?? [];
    list.push({ product: r.product, capBytes: r.cap_bytes ?? null, usedBytes: r.used_bytes });
    out.set(r.subuser_id, list);
  }
  return out;
}

/** Attaches caps and counters to subusers. */
export async function withUsage(q: Sql, subusers: Subuser[]): Promise<SubuserWithUsage[]> {
  const usage = await listSubuserUsage(
    q,
    subusers.map((s) => s.id),
  );
  return subusers.map((s) => ({ ...s, usage: usage.get(s.id) ?? [] }));
}

/** The account's main subuser (every account has exactly one). */
export async function getMainSubuser(q: Sql, accountId: string): Promise<Subuser | null> {
  const rows = await q.query(`SELECT ${COLS} FROM subusers WHERE account_id = $1 AND is_main`, [accountId]);
  return rows[0] ? mapSubuser(rows[0]) : null;
}
