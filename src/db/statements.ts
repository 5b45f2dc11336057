/** Monthly statements (migration 030): what a month's postpaid billing was, per account. */
import type { Sql } from './client.ts';

export interface StatementServerLine {
  serverId: string;
  spec: string;
  hours: number;
  coveredHours: number;
  amountCents: number;
}

export interface StatementTrafficLine {
  /** YYYY-MM-DD (UTC) */
  day: string;
  bytes: number;
  amountCents: number;
}

export interface Statement {
  id: string;
  accountId: string;
  periodStart: Date;
  periodEnd: Date;
  serverHours: number;
  coveredHours: number;
  serverCents: number;
  trafficBytes: number;
  trafficCents: number;
  balanceCents: number;
  servers: StatementServerLine[];
  traffic: StatementTrafficLine[];
  createdAt: Date;
}

const COLS = `id, account_id, period_start, period_end, server_hours, covered_hours, server_cents,
  traffic_bytes, traffic_cents, balance_cents, servers, traffic, created_at`;

function mapStatement(r: Record<string, unknown>): Statement {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    periodStart: r.period_start as Date,
    periodEnd: r.period_end as Date,
    serverHours: Number(r.server_hours),
    coveredHours: Number(r.covered_hours),
    serverCents: Number(r.server_cents),
    trafficBytes: Number(r.traffic_bytes),
    trafficCents: Number(r.traffic_cents),
    balanceCents: Number(r.balance_cents),
    servers: r.servers as StatementServerLine[],
    traffic: r.traffic as StatementTrafficLine[],
    createdAt: r.created_at as Date,
  };
}

/**
 * Up to `limit` accounts (ids after `after`, in order) billed for postpaid servers or traffic in
 * [start, end) that have no statement for `start` yet.
 */
export async function accountsToStatement(
  q: Sql,
  p: { start: Date; end: Date; after: string; limit: number },
): Promise<string[]> {
  const rows = await q.query<{ account_id: string }>(
    `SELECT account_id FROM (
       SELECT DISTINCT account_id FROM server_charges WHERE hour_from >= $1 AND hour_from < $2
       UNION
       SELECT DISTINCT account_id FROM server_traffic_charges
       WHERE day >= ($1::timestamptz AT TIME ZONE 'UTC')::date AND day < ($2::timestamptz AT TIME ZONE 'UTC')::date
     ) a
     WHERE account_id > $3::text
       AND NOT EXISTS (SELECT 1 FROM statements s WHERE s.account_id = a.account_id AND s.period_start = $1)
     ORDER BY account_id LIMIT $4::int4`,
    [p.start, p.end, p.after, p.limit],
  );
  return rows.map((r) => r.account_id);
}

/** The account's postpaid charges in [start, end): per server and spec, and per day of traffic. */
export async function statementLines(
  q: Sql,
  accountId: string,
  start: Date,
  end: Date,
): Promise<{ servers: StatementServerLine[]; traffic: StatementTrafficLine[] }> {
  const servers = await q.query<Record<string, unknown>>(
    `SELECT server_id, spec, count(*)::int8 AS hours, count(*) FILTER (WHERE covered)::int8 AS covered,
            coalesce(sum(amount_cents), 0)::int8 AS amount
     FROM server_charges WHERE account_id = $1 AND hour_from >= $2 AND hour_from < $3
     GROUP BY server_id, spec ORDER BY server_id, spec`,
    [accountId, start, end],
  );
  const traffic = await q.query<Record<string, unknown>>(
    `SELECT to_char(day, 'YYYY-MM-DD') AS day, sum(bytes)::int8 AS bytes, sum(amount_cents)::int8 AS amount
     FROM server_traffic_charges
     WHERE account_id = $1 AND day >= ($2::timestamptz AT TIME ZONE 'UTC')::date
       AND day < ($3::timestamptz AT TIME ZONE 'UTC')::date
     GROUP BY day ORDER BY day`,
    [accountId, start, end],
  );
  return {
    servers: servers.map((r) => ({
      serverId: r.server_id as string,
      spec: r.spec as string,
      hours: Number(r.hours),
      coveredHours: Number(r.covered),
      amountCents: Number(r.amount),
    })),
    traffic: traffic.map((r) => ({
      day: r.day as string,
      bytes: Number(r.bytes),
      amountCents: Number(r.amount),
    })),
  };
}

/** Inserts the statement unless the account has one for the period; false when it had. */
export async function insertStatement(q: Sql, s: Statement): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO statements (${COLS})
     VALUES ($1, $2, $3, $4, $5, $6, $7::int8, $8::int8, $9::int8, $10::int8, $11::jsonb, $12::jsonb, $13)
     ON CONFLICT (account_id, period_start) DO NOTHING RETURNING id`,
    [
      s.id,
      s.accountId,
      s.periodStart,
      s.periodEnd,
      s.serverHours,
      s.coveredHours,
      s.serverCents,
      s.trafficBytes,
      s.trafficCents,
      s.balanceCents,
      JSON.stringify(s.servers),
      JSON.stringify(s.traffic),
      s.createdAt,
    ],
  );
  return rows.length === 1;
}

/** A page of the account's statements, newest month first (limit + 1 rows for has_more is the caller's). */
export async function listStatements(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Statement[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM statements s
     WHERE s.account_id = $1::text
       AND ($2::text IS NULL OR (s.period_start, s.id) < (
             SELECT c.period_start, c.id FROM statements c WHERE c.id = $2::text AND c.account_id = $1::text))
     ORDER BY s.period_start DESC, s.id DESC LIMIT $3::int4`,
    [accountId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapStatement);
}

export async function getStatement(q: Sql, id: string, accountId: string): Promise<Statement | null> {
  const rows = await q.query(`SELECT ${COLS} FROM statements WHERE id = $1 AND account_id = $2`, [
    id,
    accountId,
  ]);
  return rows[0] ? mapStatement(rows[0]) : null;
}

/** True when any postpaid server has been billed since `since` (the statement job's next moment). */
export async function anyServerChargesSince(q: Sql, since: Date): Promise<boolean> {
  const rows = await q.query('SELECT 1 FROM server_charges WHERE hour_from >= $1 LIMIT 1', [since]);
  return rows.length > 0;
}
