/**
 * Vouchers: value an operator grants an account, spent before the balance (SPEC §5). The row's
 * remaining_cents is the cached sum of the voucher's ledger entries (asset 'voucher:<id>'); the
 * row is inserted here and its first entry written by ledger.recordVoucherIssued in the same
 * transaction.
 */
import type { Sql } from './client.ts';

export interface Voucher {
  id: string;
  accountId: string;
  amountCents: number;
  remainingCents: number;
  /** the products it may pay for; null: any product */
  products: string[] | null;
  expiresAt: Date;
  createdAt: Date;
}

export type VoucherStatus = 'active' | 'expired' | 'used_up';

const COLS = 'id, account_id, amount_cents, remaining_cents, products, expires_at, created_at';

function mapVoucher(r: Record<string, unknown>): Voucher {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    amountCents: r.amount_cents as number,
    remainingCents: r.remaining_cents as number,
    products: (r.products as string[] | null) ?? null,
    expiresAt: r.expires_at as Date,
    createdAt: r.created_at as Date,
  };
}

/** Inserts a voucher with its whole amount remaining. */
export async function insertVoucher(
  q: Sql,
  v: {
    id: string;
    accountId: string;
    amountCents: number;
    products: string[] | null;
    expiresAt: Date;
    at: Date;
  },
): Promise<Voucher> {
  const rows = await q.query(
    `INSERT INTO vouchers (id, account_id, amount_cents, remaining_cents, products, expires_at, created_at)
     VALUES ($1, $2, $3::int8, $3::int8, $4::text[], $5, $6) RETURNING ${COLS}`,
    [v.id, v.accountId, v.amountCents, v.products, v.expiresAt, v.at],
  );
  return mapVoucher(rows[0]!);
}

/** A voucher of the account (of any account when accountId is null). */
export async function getVoucher(q: Sql, id: string, accountId: string | null): Promise<Voucher | null> {
  const rows = await q.query(
    `SELECT ${COLS} FROM vouchers WHERE id = $1 AND ($2::text IS NULL OR account_id = $2)`,
    [id, accountId],
  );
  return rows[0] ? mapVoucher(rows[0]) : null;
}

/**
 * A page of the account's vouchers, newest first; a foreign cursor yields nothing. The status
 * filter is the SQL form of app/vouchers/issue-voucher.ts voucherStatus: used up when nothing remains,
 * else expired from expires_at on, else active.
 */
export async function listVouchers(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string; status?: VoucherStatus; now: Date },
): Promise<Voucher[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM vouchers
     WHERE account_id = $1
       AND ($2::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM vouchers WHERE id = $2 AND account_id = $1))
       AND CASE $4::text
             WHEN 'used_up' THEN remaining_cents = 0
             WHEN 'expired' THEN remaining_cents > 0 AND expires_at <= $5::timestamptz
             WHEN 'active' THEN remaining_cents > 0 AND expires_at > $5::timestamptz
             ELSE true
           END
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [accountId, page.startingAfter ?? null, page.limit, page.status ?? null, page.now],
  );
  return rows.map(mapVoucher);
}

/**
 * The account's vouchers among `ids` (another account's are simply not returned), locked FOR
 * UPDATE in id order when `lock` (so two orders naming the same vouchers in any order cannot
 * deadlock). The conditional decrement of ledger.moveVoucher stays the guard against overspending.
 */
export async function findVouchers(
  q: Sql,
  accountId: string,
  ids: readonly string[],
  opts: { lock: boolean },
): Promise<Voucher[]> {
  if (ids.length === 0) return [];
  const rows = await q.query(
    `SELECT ${COLS} FROM vouchers WHERE account_id = $1::text AND id = ANY($2::text[])
     ORDER BY id${opts.lock ? ' FOR UPDATE' : ''}`,
    [accountId, [...ids]],
  );
  return rows.map(mapVoucher);
}
