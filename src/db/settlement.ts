/**
 * Settlement of postpaid servers (SPEC §7, migration 024): values out, set-based statements. The
 * use-case (app/settlement/settle-server-hours.ts) owns the transactions and the order of steps.
 *
 * Hours are UTC clock hours. A server's cursor is server_billing.billed_through (no row: the clock
 * hour of its creation); the last hour it may be billed for now is, by status:
 *  - running: the last complete hour (h + 1 h ≤ now);
 *  - stopped: the same, and only hours that started before it stopped (or was suspended);
 *  - suspended: every hour that started before the suspension (the started hour is paid at once).
 */
import type { Sql } from './client.ts';

const HOUR_OF = (ts: string) => `date_trunc('hour', ${ts}, 'UTC')`;
/** The server's cursor (servers s LEFT JOIN server_billing b): every hour before it is billed. */
const CURSOR = `COALESCE(b.billed_through, ${HOUR_OF('s.created_at')})`;
const WITH_CURSOR = 'servers s LEFT JOIN server_billing b ON b.server_id = s.id';
/** The start of the last hour the server may be billed for at `now_h` (the clock hour of now). */
const LAST_HOUR = (nowH: string) => `CASE s.status
    WHEN 'running' THEN ${nowH} - interval '1 hour'
    WHEN 'stopped' THEN LEAST(${nowH} - interval '1 hour',
      ${HOUR_OF(`LEAST(s.stopped_at, COALESCE(s.suspended_at, s.stopped_at)) - interval '1 microsecond'`)})
    ELSE ${HOUR_OF(`s.suspended_at - interval '1 microsecond'`)} END`;

export interface RunTotals {
  serversBilled: number;
  hours: number;
  coveredHours: number;
  chargedCents: number;
  suspendedAccounts: number;
  resumedAccounts: number;
}

export interface SettlementRun extends RunTotals {
  id: number;
  kind: 'server_hours';
  at: Date;
  startedAt: Date;
  finishedAt: Date | null;
}

export const NO_TOTALS: RunTotals = {
  serversBilled: 0,
  hours: 0,
  coveredHours: 0,
  chargedCents: 0,
  suspendedAccounts: 0,
  resumedAccounts: 0,
};

const RUN_COLS = `id, kind, at, started_at, finished_at, servers_billed, hours, covered_hours, charged_cents,
  suspended_accounts, resumed_accounts`;

function mapRun(r: Record<string, unknown>): SettlementRun {
  return {
    id: Number(r.id),
    kind: r.kind as SettlementRun['kind'],
    at: r.at as Date,
    startedAt: r.started_at as Date,
    finishedAt: (r.finished_at as Date | null) ?? null,
    serversBilled: Number(r.servers_billed),
    hours: Number(r.hours),
    coveredHours: Number(r.covered_hours),
    chargedCents: Number(r.charged_cents),
    suspendedAccounts: Number(r.suspended_accounts),
    resumedAccounts: Number(r.resumed_accounts),
  };
}

export async function insertRun(q: Sql, at: Date, startedAt: Date): Promise<number> {
  const rows = await q.query<{ id: number }>(
    `INSERT INTO settlement_runs (kind, at, started_at) VALUES ('server_hours', $1, $2) RETURNING id`,
    [at, startedAt],
  );
  return Number(rows[0]!.id);
}

/** Adds a batch's totals to its run (in the batch's transaction, so the run's totals stay true). */
export async function addRunTotals(q: Sql, runId: number, t: RunTotals): Promise<void> {
  await q.query(
    `UPDATE settlement_runs SET servers_billed = servers_billed + $2, hours = hours + $3,
       covered_hours = covered_hours + $4, charged_cents = charged_cents + $5::int8,
       suspended_accounts = suspended_accounts + $6, resumed_accounts = resumed_accounts + $7
     WHERE id = $1`,
    [runId, t.serversBilled, t.hours, t.coveredHours, t.chargedCents, t.suspendedAccounts, t.resumedAccounts],
  );
}

export async function finishRun(q: Sql, runId: number, at: Date): Promise<SettlementRun> {
  const rows = await q.query(
    `UPDATE settlement_runs SET finished_at = $2 WHERE id = $1 RETURNING ${RUN_COLS}`,
    [runId, at],
  );
  return mapRun(rows[0]!);
}

/** Runs, newest first; `before`: a run id to page after. */
export async function listRuns(q: Sql, page: { limit: number; before?: number }): Promise<SettlementRun[]> {
  const rows = await q.query(
    `SELECT ${RUN_COLS} FROM settlement_runs WHERE ($1::int8 IS NULL OR id < $1::int8)
     ORDER BY id DESC LIMIT $2`,
    [page.before ?? null, page.limit],
  );
  return rows.map(mapRun);
}

/**
 * Resumes the account's servers suspended for arrears, if its balance is back to ≥ 0 (all
 * accounts when `accountId` is null). Billing restarts at the resume hour (the cursor never moves
 * back: an hour already paid at suspension is not billed again). Returns the accounts resumed.
 */
export async function resumeSuspendedServers(q: Sql, accountId: string | null, at: Date): Promise<string[]> {
  const rows = await q.query<{ account_id: string }>(
    `WITH res AS (
       UPDATE servers s SET status = 'running', suspended_at = NULL, suspended_reason = NULL,
         resumed_at = $2, updated_at = $2
       FROM accounts a
       WHERE a.id = s.account_id AND s.status = 'suspended' AND s.suspended_reason = 'arrears'
         AND a.balance_cents >= 0 AND ($1::text IS NULL OR s.account_id = $1::text)
       RETURNING s.id, s.account_id, s.created_at),
     cur AS (
       INSERT INTO server_billing AS b (server_id, billed_through, prev_through)
       SELECT res.id, GREATEST(${HOUR_OF('res.created_at')}, ${HOUR_OF('$2::timestamptz')}), NULL FROM res
       ON CONFLICT (server_id) DO UPDATE
         SET billed_through = GREATEST(b.billed_through, EXCLUDED.billed_through), prev_through = NULL
       RETURNING 1)
     SELECT account_id FROM res`,
    [accountId, at],
  );
  return [...new Set(rows.map((r) => r.account_id))];
}

/**
 * The next accounts (by id, after `after`) with a postpaid server that has an hour to bill at
 * `nowHour`, locked FOR UPDATE SKIP LOCKED: another worker's batch (or a payment in progress) is
 * skipped, and billed by that worker (or the next run).
 */
export function lockBillableAccounts(
  q: Sql,
  p: { after: string; limit: number; nowHour: Date },
): Promise<string[]> {
  return lockAccountsWhere(
    q,
    `SELECT 1 FROM ${WITH_CURSOR} WHERE s.account_id = a.id AND s.payment_mode = 'postpaid'
       AND ${CURSOR} <= ${LAST_HOUR('$3::timestamptz')}`,
    { after: p.after, limit: p.limit, at: p.nowHour },
  );
}

/** How many accounts have a postpaid server with an hour to bill at `nowHour` (a progress total). */
export async function countBillableAccounts(q: Sql, nowHour: Date): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `SELECT count(DISTINCT s.account_id)::int4 AS n FROM ${WITH_CURSOR}
     WHERE s.payment_mode = 'postpaid' AND ${CURSOR} <= ${LAST_HOUR('$1::timestamptz')}`,
    [nowHour],
  );
  return Number(rows[0]!.n);
}

/**
 * The next `limit` accounts a (by id, after `after`) for which `exists` (a subquery on a.id, with
 * `at` as $3) finds a row, locked FOR UPDATE SKIP LOCKED: the batches of a settlement run.
 */
export async function lockAccountsWhere(
  q: Sql,
  exists: string,
  p: { after: string; limit: number; at: Date },
): Promise<string[]> {
  const rows = await q.query<{ id: string }>(
    `SELECT a.id FROM accounts a WHERE a.id > $1 AND EXISTS (${exists})
     ORDER BY a.id LIMIT $2 FOR UPDATE OF a SKIP LOCKED`,
    [p.after, p.limit, p.at],
  );
  return rows.map((r) => r.id);
}

/** One server-hour to bill. */
export interface ServerHour {
  serverId: string;
  accountId: string;
  spec: string;
  /** the server's cursor when read: the charge moves it only from there */
  cursor: Date;
  hourFrom: Date;
  covered: boolean;
}

/**
 * Every hour to bill now of the postpaid servers of `accountIds` (only `serverIds` when given),
 * with its coupon coverage: for each account, spec and hour, the account's active coupons of that
 * spec valid at the hour's start (starts_at ≤ h < ends_at) cover up to their summed `count`
 * server-hours, the servers in id order, after those of that hour covered by earlier runs. Servers
 * locked by another transaction are skipped (billed next run). Ordered by account, hour, server.
 */
export async function serverHoursToBill(
  q: Sql,
  p: { accountIds: readonly string[]; serverIds?: readonly string[]; nowHour: Date },
): Promise<ServerHour[]> {
  // the planner guesses 1,000 hours per server (generate_series), and a batch's cost estimate sets
  // off JIT compilation: seconds of compiling for a query that runs in tens of milliseconds
  await q.query('SET LOCAL jit = off');
  const rows = await q.query<{
    server_id: string;
    account_id: string;
    spec: string;
    cur: Date;
    hour_from: Date;
    covered: boolean;
  }>(
    `WITH srv AS (
       SELECT s.id, s.account_id, s.spec, ${CURSOR} AS cur, ${LAST_HOUR('$3::timestamptz')} AS last_h
       FROM ${WITH_CURSOR}
       WHERE s.account_id = ANY($1::text[]) AND s.payment_mode = 'postpaid'
         AND ($2::text[] IS NULL OR s.id = ANY($2::text[]))
       FOR UPDATE OF s SKIP LOCKED),
     h AS (
       SELECT srv.id AS server_id, srv.account_id, srv.spec, srv.cur, g.h AS hour_from
       FROM srv CROSS JOIN LATERAL generate_series(srv.cur, srv.last_h, interval '1 hour') AS g(h)
       WHERE srv.cur <= srv.last_h),
     cap AS (
       SELECT b.account_id, b.spec, b.hour_from, COALESCE(sum(r.count), 0) AS cap
       FROM (SELECT DISTINCT account_id, spec, hour_from FROM h) b
       LEFT JOIN reserved_instances r ON r.account_id = b.account_id AND r.spec = b.spec
         AND r.status = 'active' AND r.starts_at <= b.hour_from AND b.hour_from < r.ends_at
       GROUP BY b.account_id, b.spec, b.hour_from),
     prev AS (
       SELECT c.account_id, c.spec, c.hour_from, count(*) AS n FROM server_charges c
       WHERE c.covered AND c.account_id = ANY($1::text[])
         AND c.hour_from >= (SELECT min(hour_from) FROM h)
       GROUP BY c.account_id, c.spec, c.hour_from)
     SELECT h.server_id, h.account_id, h.spec, h.cur, h.hour_from,
       row_number() OVER (PARTITION BY h.account_id, h.spec, h.hour_from ORDER BY h.server_id)
         + COALESCE(prev.n, 0) <= cap.cap AS covered
     FROM h JOIN cap USING (account_id, spec, hour_from) LEFT JOIN prev USING (account_id, spec, hour_from)
     ORDER BY h.account_id, h.hour_from, h.server_id`,
    [[...p.accountIds], p.serverIds ? [...p.serverIds] : null, p.nowHour],
  );
  return rows.map((r) => ({
    serverId: r.server_id,
    accountId: r.account_id,
    spec: r.spec,
    cursor: r.cur,
    hourFrom: r.hour_from,
    covered: r.covered,
  }));
}

/** A priced server-hour: `ledgerId` names the cash entry when it costs something. */
export interface PricedHour extends ServerHour {
  unitPrice4: number;
  amountCents: number;
  ledgerId: string | null;
}

/**
 * Writes priced server-hours in ONE statement: each server's cursor moves from the value it was
 * read at to the end of its last hour (compare-and-set: a server another worker billed meanwhile
 * is left out with all its hours; with no cursor row yet, the read value was the creation hour, and
 * a row inserted meanwhile is compared like any other), the detail rows, and per charged hour a 'usage_charge' cash
 * entry with its running balance, the account's cached balance moved by their sum (the ledger
 * rule of db/ledger.ts moveCash, for many entries at once).
 */
export async function writeServerCharges(
  q: Sql,
  hours: readonly PricedHour[],
  runId: number,
  at: Date,
): Promise<Omit<RunTotals, 'suspendedAccounts' | 'resumedAccounts'>> {
  if (hours.length === 0) return { serversBilled: 0, hours: 0, coveredHours: 0, chargedCents: 0 };
  const rows = await q.query<{ servers: number; hours: number; covered: number; charged: number }>(
    `WITH r AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[],
         $6::bool[], $7::int8[], $8::int8[], $9::text[])
         AS r(server_id, account_id, spec, cur, hour_from, covered, unit_price4, amount, ledger_id)),
     span AS (
       SELECT server_id, min(cur) AS cur, max(hour_from) + interval '1 hour' AS through
       FROM r GROUP BY server_id),
     adv AS (
       INSERT INTO server_billing AS b (server_id, billed_through, prev_through)
       SELECT server_id, through, cur FROM span
       ON CONFLICT (server_id) DO UPDATE
         SET billed_through = EXCLUDED.billed_through, prev_through = EXCLUDED.prev_through
         WHERE b.billed_through = EXCLUDED.prev_through
       RETURNING b.server_id AS id),
     ok AS (SELECT r.* FROM r JOIN adv ON adv.id = r.server_id),
     detail AS (
       INSERT INTO server_charges (server_id, hour_from, hour_to, account_id, spec, unit_price4, covered,
         amount_cents, ledger_entry_id, run_id, created_at)
       SELECT server_id, hour_from, hour_from + interval '1 hour', account_id, spec, unit_price4, covered,
         amount, CASE WHEN amount > 0 THEN ledger_id END, $10, $11 FROM ok
       RETURNING covered, amount_cents),
     tot AS (SELECT account_id, sum(amount)::int8 AS total FROM ok WHERE amount > 0 GROUP BY account_id),
     moved AS (
       UPDATE accounts a SET balance_cents = a.balance_cents - tot.total, updated_at = $11
       FROM tot WHERE a.id = tot.account_id
       RETURNING a.id, a.balance_cents AS after, tot.total),
     entries AS (
       INSERT INTO ledger_entries
         (id, account_id, asset, amount, balance_after, cause, order_id, payment_id, memo, created_at)
       SELECT ok.ledger_id, ok.account_id, 'cash', -ok.amount,
         m.after + m.total - sum(ok.amount) OVER (PARTITION BY ok.account_id ORDER BY ok.hour_from, ok.server_id),
         'usage_charge', NULL, NULL,
         'server ' || ok.server_id || ' ' || ok.spec || ', hour ' ||
           to_char(ok.hour_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI"Z"'),
         $11
       FROM ok JOIN moved m ON m.id = ok.account_id WHERE ok.amount > 0
       ORDER BY ok.account_id, ok.hour_from, ok.server_id
       RETURNING 1)
     SELECT (SELECT count(*) FROM adv)::int4 AS servers, (SELECT count(*) FROM detail)::int4 AS hours,
       (SELECT count(*) FROM detail WHERE covered)::int4 AS covered,
       (SELECT COALESCE(sum(amount_cents), 0) FROM detail)::int8 AS charged,
       (SELECT count(*) FROM entries)::int4 AS entries`,
    [
      hours.map((h) => h.serverId),
      hours.map((h) => h.accountId),
      hours.map((h) => h.spec),
      hours.map((h) => h.cursor),
      hours.map((h) => h.hourFrom),
      hours.map((h) => h.covered),
      hours.map((h) => h.unitPrice4),
      hours.map((h) => h.amountCents),
      hours.map((h) => h.ledgerId),
      runId,
      at,
    ],
  );
  const t = rows[0]!;
  return {
    serversBilled: Number(t.servers),
    hours: Number(t.hours),
    coveredHours: Number(t.covered),
    chargedCents: Number(t.charged),
  };
}

/**
 * Suspends the running postpaid servers of those of `accountIds` whose arrears exceed
 * `limitCents` (balance < −limit). Servers locked elsewhere are left for the next run. Returns the
 * servers suspended.
 */
export async function suspendForArrears(
  q: Sql,
  accountIds: readonly string[],
  limitCents: number,
  at: Date,
): Promise<{ serverId: string; accountId: string }[]> {
  const rows = await q.query<{ id: string; account_id: string }>(
    `WITH t AS (
       SELECT s.id FROM servers s JOIN accounts a ON a.id = s.account_id
       WHERE s.account_id = ANY($1::text[]) AND a.balance_cents < -$2::int8
         AND s.payment_mode = 'postpaid' AND s.status = 'running'
       FOR UPDATE OF s SKIP LOCKED)
     UPDATE servers s SET status = 'suspended', suspended_at = $3, suspended_reason = 'arrears', updated_at = $3
     FROM t WHERE s.id = t.id
     RETURNING s.id, s.account_id`,
    [[...accountIds], limitCents, at],
  );
  return rows.map((r) => ({ serverId: r.id, accountId: r.account_id }));
}

/** True when a postpaid server runs (its hours are still being billed). */
export async function anyRunningPostpaidServer(q: Sql): Promise<boolean> {
  const rows = await q.query(
    "SELECT 1 FROM servers WHERE payment_mode = 'postpaid' AND status = 'running' LIMIT 1",
  );
  return rows.length > 0;
}
