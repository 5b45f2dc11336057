/** Stock alerts (SPEC §6, Settings → Alerts): a place watched by an account, with a minimum. */
import type { Sql } from './client.ts';

export interface StockAlert {
  id: string;
  accountId: string;
  country: string;
  city: string | null;
  asn: number | null;
  minimum: number;
  /** true: fires when stock reaches the minimum; false: fired, waits for stock to drop below */
  armed: boolean;
  lastFiredAt: Date | null;
  createdAt: Date;
  deletedAt: Date | null;
}

const COLS = 'id, account_id, country, city, asn, minimum, armed, last_fired_at, created_at, deleted_at';

function mapAlert(r: Record<string, unknown>): StockAlert {
  return {
    id: r.id as string,
    accountId: r.account_id as string,
    country: r.country as string,
    city: (r.city as string | null) ?? null,
    asn: r.asn === null || r.asn === undefined ? null : Number(r.asn),
    minimum: r.minimum as number,
    armed: r.armed as boolean,
    lastFiredAt: (r.last_fired_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
    deletedAt: (r.deleted_at as Date | null) ?? null,
  };
}

export async function insertStockAlert(
  q: Sql,
  a: Pick<StockAlert, 'id' | 'accountId' | 'country' | 'city' | 'asn' | 'minimum' | 'createdAt'>,
): Promise<StockAlert> {
  const rows = await q.query(
    `INSERT INTO stock_alerts (id, account_id, country, city, asn, minimum, armed, created_at)
     VALUES ($1, $2, $3, $4::text, $5::int8, $6::int4, true, $7) RETURNING ${COLS}`,
    [a.id, a.accountId, a.country, a.city, a.asn, a.minimum, a.createdAt],
  );
  return mapAlert(rows[0]!);
}

/** A live (not deleted) alert of the account. */
export async function getStockAlert(q: Sql, id: string, accountId: string): Promise<StockAlert | null> {
  const rows = await q.query(
    `SELECT ${COLS} FROM stock_alerts WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL`,
    [id, accountId],
  );
  return rows[0] ? mapAlert(rows[0]) : null;
}

/** A page of the account's live alerts, newest first; a foreign or deleted cursor yields nothing. */
export async function listStockAlerts(
  q: Sql,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<StockAlert[]> {
  const rows = await q.query(
    `SELECT ${COLS} FROM stock_alerts
     WHERE account_id = $1 AND deleted_at IS NULL
       AND ($2::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM stock_alerts WHERE id = $2 AND account_id = $1))
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [accountId, page.startingAfter ?? null, page.limit],
  );
  return rows.map(mapAlert);
}

export async function countLiveStockAlerts(q: Sql, accountId: string): Promise<number> {
  const rows = await q.query<{ n: number }>(
    'SELECT count(*)::int8 AS n FROM stock_alerts WHERE account_id = $1 AND deleted_at IS NULL',
    [accountId],
  );
  return rows[0]!.n;
}

/** Soft delete; null when the alert is not the account's or already deleted. */
export async function deleteStockAlert(
  q: Sql,
  id: string,
  accountId: string,
  at: Date,
): Promise<StockAlert | null> {
  const rows = await q.query(
    `UPDATE stock_alerts SET deleted_at = $3
     WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL RETURNING ${COLS}`,
    [id, accountId, at],
  );
  return rows[0] ? mapAlert(rows[0]) : null;
}

/** A live alert with the email of its account, for evaluation. */
export interface WatchedAlert extends StockAlert {
  email: string;
}

/** The live alerts on the given countries (of every account). */
export async function listLiveAlertsForCountries(
  q: Sql,
  countries: readonly string[],
): Promise<WatchedAlert[]> {
  if (countries.length === 0) return [];
  const rows = await q.query(
    `SELECT a.id, a.account_id, a.country, a.city, a.asn, a.minimum, a.armed, a.last_fired_at,
       a.created_at, a.deleted_at, acc.email
     FROM stock_alerts a JOIN accounts acc ON acc.id = a.account_id
     WHERE a.deleted_at IS NULL AND a.country = ANY($1::text[])
     ORDER BY a.created_at, a.id`,
    [[...countries]],
  );
  return rows.map((r) => ({ ...mapAlert(r), email: r.email as string }));
}

/** An alert as the evaluation read it: a change applies only if nobody changed it since. */
export interface AlertVersion {
  id: string;
  armed: boolean;
  lastFiredAt: Date | null;
}

function versions(items: readonly AlertVersion[]): string {
  return JSON.stringify(
    items.map((a) => ({ id: a.id, armed: a.armed, last_fired_at: a.lastFiredAt?.toISOString() ?? null })),
  );
}

/**
 * Fires the given alerts: each is disarmed and stamped, if it is still as it was read. So of two
 * evaluations racing for one alert only one fires it (and sends its mail). Returns the fired ids.
 */
export async function fireStockAlerts(
  q: Sql,
  items: readonly AlertVersion[],
  at: Date,
): Promise<Set<string>> {
  if (items.length === 0) return new Set();
  const rows = await q.query<{ id: string }>(
    `UPDATE stock_alerts a SET armed = false, last_fired_at = $2
     FROM jsonb_to_recordset($1::jsonb) AS v(id text, armed boolean, last_fired_at timestamptz)
     WHERE a.id = v.id AND a.armed = v.armed AND a.last_fired_at IS NOT DISTINCT FROM v.last_fired_at
       AND a.deleted_at IS NULL
     RETURNING a.id`,
    [versions(items), at],
  );
  return new Set(rows.map((r) => r.id));
}

/** Re-arms the given disarmed alerts (stock dropped below their minimum), if still as read. */
export async function rearmStockAlerts(q: Sql, items: readonly AlertVersion[]): Promise<void> {
  if (items.length === 0) return;
  await q.query(
    `UPDATE stock_alerts a SET armed = true
     FROM jsonb_to_recordset($1::jsonb) AS v(id text, armed boolean, last_fired_at timestamptz)
     WHERE a.id = v.id AND NOT a.armed AND a.armed = v.armed
       AND a.last_fired_at IS NOT DISTINCT FROM v.last_fired_at AND a.deleted_at IS NULL`,
    [versions(items)],
  );
}
