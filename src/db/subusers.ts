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
