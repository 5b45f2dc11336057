/** Server instances (SPEC §7, migration 022): values out, the use-cases decide what is an error. */
import type { Sql } from './client.ts';

export type ServerStatus = 'running' | 'suspended' | 'stopped';

export interface ServerRow {
  id: string;
  accountId: string;
  spec: string;
  paymentMode: 'prepaid' | 'postpaid';
  status: ServerStatus;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** what was paid for the current prepaid term, cents */
  paidCents: number;
  /** prepaid: months in the term; postpaid: null */
  termMonths: number | null;
  orderId: string;
  stoppedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLS = `id, account_id, spec, payment_mode, status, period_start, period_end, paid_cents,
  term_months, order_id, stopped_at, created_at, updated_at`;

function mapServer(r: Record<string, unknown>): ServerRow {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    spec: r.spec as string,
    paymentMode: r.payment_mode as ServerRow['paymentMode'],
    status: r.status as ServerStatus,
    periodStart: (r.period_start as Date | null) ?? null,
    periodEnd: (r.period_end as Date | null) ?? null,
    paidCents: Number(r.paid_cents),
    termMonths: (r.term_months as number | null) ?? null,
    orderId: r.order_id as string,
    stoppedAt: (r.stopped_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

export async function insertServer(q: Sql, s: ServerRow): Promise<void> {
  await q.query(
    `INSERT INTO servers (${COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int8, $9, $10, $11, $12, $13)`,
    [
      s.id,
      s.accountId,
      s.spec,
      s.paymentMode,
      s.status,
      s.periodStart,
      s.periodEnd,
      s.paidCents,
      s.termMonths,
      s.orderId,
      s.stoppedAt,
      s.createdAt,
      s.updatedAt,
    ],
  );
}

/** A server of the account (any account when accountId is null); FOR UPDATE on request. */
export async function getServer(
  q: Sql,
  id: string,
  accountId: string | null,
  opts: { forUpdate?: boolean } = {},
): Promise<ServerRow | null> {
  const rows = await q.query(
    `SELECT ${COLS} FROM servers WHERE id = $1 AND ($2::text IS NULL OR account_id = $2::text)${
      opts.forUpdate ? ' FOR UPDATE' : ''
    }`,
    [id, accountId],
  );
  return rows[0] ? mapServer(rows[0]) : null;
}

/** A page of the account's servers, newest first (limit + 1 rows for has_more is the caller's). */
export async function listServers(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<ServerRow[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM servers s
     WHERE s.account_id = $1::text
       AND ($2::text IS NULL OR (s.created_at, s.id) < (
             SELECT c.created_at, c.id FROM servers c WHERE c.id = $2::text AND c.account_id = $1::text))
     ORDER BY s.created_at DESC, s.id DESC
     LIMIT $3::int4`,
    [accountId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapServer);
}

/** Stops a server that is not stopped yet; false when it already was. */
export async function stopServer(q: Sql, id: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET status = 'stopped', stopped_at = $2, updated_at = $2
     WHERE id = $1 AND status <> 'stopped' RETURNING id`,
    [id, at],
  );
  return rows.length > 0;
}

/**
 * Applies a prepaid server's new term and value, only if the server is still as the caller priced
 * it (running, same spec, same period end and value): false when it moved meanwhile.
 */
export async function updateServerTerm(
  q: Sql,
  id: string,
  expect: { spec: string; periodEnd: Date; paidCents: number },
  next: { spec: string; periodEnd: Date; paidCents: number; termMonths: number },
  at: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET spec = $5, period_end = $6, paid_cents = $7::int8, term_months = $8, updated_at = $9
     WHERE id = $1 AND status = 'running' AND spec = $2 AND period_end = $3 AND paid_cents = $4::int8
     RETURNING id`,
    [
      id,
      expect.spec,
      expect.periodEnd,
      expect.paidCents,
      next.spec,
      next.periodEnd,
      next.paidCents,
      next.termMonths,
      at,
    ],
  );
  return rows.length > 0;
}
