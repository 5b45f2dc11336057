/**
 * Reserved-instance coupons (SPEC §7): rows of migration 023. Values out, no domain errors; the
 * use-cases in app/coupons decide what a missing or non-active coupon means.
 */
import type { Sql } from './client.ts';

export type CouponStatus = 'active' | 'adjusted' | 'unsubscribed' | 'expired';

export interface Coupon {
  id: string;
  accountId: string;
  spec: string;
  count: number;
  years: number;
  status: CouponStatus;
  /** value over the term: what was paid, or what an adjustment allocated */
  valueCents: number;
  termStartsAt: Date;
  termEndsAt: Date;
  startsAt: Date;
  endsAt: Date;
  createdByOrderId: string;
  replacedByOrderId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLS = `id, account_id, spec, count, years, status, value_cents, term_starts_at, term_ends_at,
  starts_at, ends_at, created_by_order_id, replaced_by_order_id, created_at, updated_at`;

function mapCoupon(r: Record<string, unknown>): Coupon {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    spec: r.spec as string,
    count: Number(r.count),
    years: Number(r.years),
    status: r.status as CouponStatus,
    valueCents: Number(r.value_cents),
    termStartsAt: r.term_starts_at as Date,
    termEndsAt: r.term_ends_at as Date,
    startsAt: r.starts_at as Date,
    endsAt: r.ends_at as Date,
    createdByOrderId: r.created_by_order_id as string,
    replacedByOrderId: (r.replaced_by_order_id as string | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

export type NewCoupon = Omit<Coupon, 'status' | 'replacedByOrderId' | 'createdAt' | 'updatedAt'>;

/** Inserts active coupons (one statement). */
export async function insertCoupons(q: Sql, coupons: readonly NewCoupon[], at: Date): Promise<void> {
  if (coupons.length === 0) return;
  await q.query(
    `INSERT INTO reserved_instances (id, account_id, spec, count, years, status, value_cents, term_starts_at,
       term_ends_at, starts_at, ends_at, created_by_order_id, created_at, updated_at)
     SELECT c.id, c.account_id, c.spec, c.count, c.years, 'active', c.value_cents, c.term_starts_at,
       c.term_ends_at, c.starts_at, c.ends_at, c.created_by_order_id, $2::timestamptz, $2::timestamptz
     FROM jsonb_to_recordset($1::jsonb) AS c(id text, account_id text, spec text, count int, years int,
       value_cents bigint, term_starts_at timestamptz, term_ends_at timestamptz, starts_at timestamptz,
       ends_at timestamptz, created_by_order_id text)`,
    [
      JSON.stringify(
        coupons.map((c) => ({
          id: c.id,
          account_id: c.accountId,
          spec: c.spec,
          count: c.count,
          years: c.years,
          value_cents: c.valueCents,
          term_starts_at: c.termStartsAt.toISOString(),
          term_ends_at: c.termEndsAt.toISOString(),
          starts_at: c.startsAt.toISOString(),
          ends_at: c.endsAt.toISOString(),
          created_by_order_id: c.createdByOrderId,
        })),
      ),
      at,
    ],
  );
}

/**
 * The account's coupons among `ids` (another account's are not returned), in id order; with
 * `forUpdate` locked in that order, so two transactions locking overlapping sets cannot deadlock.
 */
export async function getCoupons(
  q: Sql,
  accountId: string,
  ids: readonly string[],
  opts: { forUpdate?: boolean } = {},
): Promise<Coupon[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM reserved_instances WHERE account_id = $1 AND id = ANY($2::text[])
     ORDER BY id${opts.forUpdate ? ' FOR UPDATE' : ''}`,
    [accountId, [...ids]],
  );
  return rows.map(mapCoupon);
}

/**
 * Marks active coupons adjusted by an ri_adjust order; returns how many changed (fewer than
 * `ids.length` means one was no longer active: the caller rolls back).
 */
export async function markCouponsAdjusted(
  q: Sql,
  accountId: string,
  ids: readonly string[],
  orderId: string,
  at: Date,
): Promise<number> {
  const rows = await q.query(
    `UPDATE reserved_instances SET status = 'adjusted', replaced_by_order_id = $3, updated_at = $4
     WHERE account_id = $1 AND id = ANY($2::text[]) AND status = 'active' RETURNING id`,
    [accountId, [...ids], orderId, at],
  );
  return rows.length;
}

/** A page of the account's coupons, newest first; a foreign cursor yields nothing. */
export async function listCoupons(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Coupon[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM reserved_instances
     WHERE account_id = $1
       AND ($2::text IS NULL OR (created_at, id) <
            (SELECT created_at, id FROM reserved_instances WHERE id = $2 AND account_id = $1))
     ORDER BY created_at DESC, id DESC
     LIMIT $3`,
    [accountId, page.startingAfter ?? null, page.limit + 1],
  );
  return rows.map(mapCoupon);
}

/**
 * The purchase orders whose money a coupon holds (its own purchase, or, for a coupon an
 * adjustment made, the purchases of the coupons it was made from, recursively), refundable
 * (paid or partially refunded), newest first.
 */
export async function couponFundingOrderIds(q: Sql, accountId: string, couponId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `WITH RECURSIVE chain (id, created_by_order_id) AS (
       SELECT id, created_by_order_id FROM reserved_instances WHERE id = $2::text AND account_id = $1::text
       UNION
       SELECT r.id, r.created_by_order_id FROM reserved_instances r
       JOIN chain c ON r.replaced_by_order_id = c.created_by_order_id
       WHERE r.account_id = $1::text
     )
     SELECT o.id FROM orders o
     WHERE o.account_id = $1::text AND o.id IN (SELECT created_by_order_id FROM chain)
       AND o.type = 'new' AND o.payment_status IN ('paid', 'partially_refunded')
     ORDER BY o.created_at DESC, o.id DESC`,
    [accountId, couponId],
  );
  return rows.map((r) => r.id);
}

/** An active coupon is unsubscribed: no longer valid from `at`. False when it was not active. */
export async function markCouponUnsubscribed(
  q: Sql,
  accountId: string,
  id: string,
  at: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE reserved_instances SET status = 'unsubscribed', ends_at = $3, updated_at = $3
     WHERE account_id = $1 AND id = $2 AND status = 'active' AND ends_at > $3 RETURNING id`,
    [accountId, id, at],
  );
  return rows.length > 0;
}
