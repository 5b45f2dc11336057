/** Server instances (SPEC §7, migration 022): values out, the use-cases decide what is an error. */
import type { Sql } from './client.ts';

export type ServerStatus = 'running' | 'suspended' | 'stopped';

export interface ServerRow {
  id: string;
  accountId: string;
  spec: string;
  /** trial: free until period_end (migration 025), then converted or stopped */
  paymentMode: 'prepaid' | 'postpaid' | 'trial';
  status: ServerStatus;
  periodStart: Date | null;
  periodEnd: Date | null;
  /** what was paid for the current prepaid term, cents */
  paidCents: number;
  /** prepaid: months in the term; postpaid: null */
  termMonths: number | null;
  orderId: string;
  stoppedAt: Date | null;
  /** a temporary upgrade runs: the spec it goes back to at tempUntil (both null otherwise) */
  tempBaseSpec: string | null;
  tempUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const COLS = `id, account_id, spec, payment_mode, status, period_start, period_end, paid_cents,
  term_months, order_id, stopped_at, temp_base_spec, temp_until, created_at, updated_at`;

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
    tempBaseSpec: (r.temp_base_spec as string | null) ?? null,
    tempUntil: (r.temp_until as Date | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** A new server as its order creates it: running, no temporary upgrade, created `at`. */
export type NewServer = Pick<
  ServerRow,
  | 'id'
  | 'accountId'
  | 'spec'
  | 'paymentMode'
  | 'periodStart'
  | 'periodEnd'
  | 'paidCents'
  | 'termMonths'
  | 'orderId'
> & { at: Date };

export async function insertServer(q: Sql, s: NewServer): Promise<void> {
  await q.query(
    `INSERT INTO servers (${COLS})
     VALUES ($1, $2, $3, $4, 'running', $5, $6, $7::int8, $8, $9, NULL, NULL, NULL, $10, $10)`,
    [
      s.id,
      s.accountId,
      s.spec,
      s.paymentMode,
      s.periodStart,
      s.periodEnd,
      s.paidCents,
      s.termMonths,
      s.orderId,
      s.at,
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

/**
 * Starts, extends or raises a temporary upgrade, only if the server is still as the caller priced
 * it (running, same spec, same temp_until): false when it moved meanwhile.
 */
export async function setTempUpgrade(
  q: Sql,
  id: string,
  expect: { spec: string; tempUntil: Date | null },
  next: { spec: string; baseSpec: string; until: Date },
  at: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET spec = $4, temp_base_spec = $5, temp_until = $6, updated_at = $7
     WHERE id = $1 AND status = 'running' AND spec = $2 AND temp_until IS NOT DISTINCT FROM $3::timestamptz
     RETURNING id`,
    [id, expect.spec, expect.tempUntil, next.spec, next.baseSpec, next.until, at],
  );
  return rows.length > 0;
}

/** Ends a temporary upgrade that is due: the spec goes back; false when there was none due. */
export async function revertTempUpgrade(q: Sql, id: string, expectSpec: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET spec = temp_base_spec, temp_base_spec = NULL, temp_until = NULL, updated_at = $3
     WHERE id = $1 AND spec = $2 AND temp_until IS NOT NULL AND temp_until <= $3 RETURNING id`,
    [id, expectSpec, at],
  );
  return rows.length > 0;
}

/** A postpaid server's spec from now on, if it still is `expectSpec` and not temporarily upgraded. */
export async function changePostpaidSpec(
  q: Sql,
  id: string,
  expectSpec: string,
  spec: string,
  at: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET spec = $3, updated_at = $4
     WHERE id = $1 AND payment_mode = 'postpaid' AND status = 'running' AND spec = $2 AND temp_until IS NULL
     RETURNING id`,
    [id, expectSpec, spec, at],
  );
  return rows.length > 0;
}

/**
 * Records the account's one trial; false when it already has one (a concurrent insert waits for
 * the other transaction and then finds its row: exactly one of two racing trials wins).
 */
export async function claimServerTrial(
  q: Sql,
  t: { accountId: string; serverId: string; orderId: string; at: Date },
): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO server_trials (account_id, server_id, order_id, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id) DO NOTHING RETURNING account_id`,
    [t.accountId, t.serverId, t.orderId, t.at],
  );
  return rows.length > 0;
}

/** Whether the account has had its trial. */
export async function hasServerTrial(q: Sql, accountId: string): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM server_trials WHERE account_id = $1', [accountId]);
  return rows.length > 0;
}

/**
 * A running trial becomes prepaid (with its term) or postpaid (no term), if it still is a
 * running trial not past its end: false otherwise.
 */
export async function convertTrialServer(
  q: Sql,
  id: string,
  next: {
    paymentMode: 'prepaid' | 'postpaid';
    periodStart: Date | null;
    periodEnd: Date | null;
    paidCents: number;
    termMonths: number | null;
  },
  at: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET payment_mode = $2, period_start = $3, period_end = $4, paid_cents = $5::int8,
       term_months = $6, updated_at = $7
     WHERE id = $1 AND payment_mode = 'trial' AND status = 'running' AND period_end > $7
     RETURNING id`,
    [id, next.paymentMode, next.periodStart, next.periodEnd, next.paidCents, next.termMonths, at],
  );
  return rows.length > 0;
}

/** Trials past their end that still run: their ids (the stop job's sweep). */
export async function dueTrialServers(q: Sql, at: Date, limit: number): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT id FROM servers WHERE payment_mode = 'trial' AND status <> 'stopped' AND period_end <= $1
     ORDER BY period_end, id LIMIT $2::int4`,
    [at, limit],
  );
  return rows.map((r) => r.id);
}

/** Stops a trial at its end if it is still an unconverted trial past its end; false otherwise. */
export async function stopEndedTrial(q: Sql, id: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE servers SET status = 'stopped', stopped_at = period_end, temp_base_spec = NULL, temp_until = NULL,
       updated_at = $2
     WHERE id = $1 AND payment_mode = 'trial' AND status <> 'stopped' AND period_end <= $2 RETURNING id`,
    [id, at],
  );
  return rows.length > 0;
}

/**
 * The orders that paid for a server's current term and may still be refunded (new, renew,
 * change, convert; paid or partially refunded), newest first: where an unsubscribe or downgrade
 * refund goes back to.
 */
export async function serverTermOrderIds(q: Sql, accountId: string, serverId: string): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT id FROM orders
     WHERE account_id = $1::text AND product = 'server' AND details->>'server_id' = $2::text
       AND type IN ('new', 'renew', 'change', 'convert') AND payment_status IN ('paid', 'partially_refunded')
     ORDER BY created_at DESC, id DESC`,
    [accountId, serverId],
  );
  return rows.map((r) => r.id);
}
