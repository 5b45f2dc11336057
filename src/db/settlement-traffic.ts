/**
 * Metered traffic of postpaid servers (SPEC §7, migration 024): reports in, daily charges out.
 * Values out; app/settlement decides what is an error and owns the transactions.
 */
import type { Sql } from './client.ts';
import { lockAccountsWhere } from './settlement.ts';

export interface TrafficReport {
  id: string;
  bytes: number;
  at: Date;
}

/** Records a server's reports; a report id already recorded for the server counts once. */
export async function insertTrafficReports(
  q: Sql,
  p: { serverId: string; accountId: string; reports: readonly TrafficReport[]; at: Date },
): Promise<{ accepted: number; duplicateIds: string[] }> {
  const rows = await q.query<{ report_id: string }>(
    `INSERT INTO server_traffic (server_id, report_id, account_id, bytes, at, received_at)
     SELECT $1, r.id, $2, r.bytes, r.at, $4
     FROM unnest($3::text[], $5::int8[], $6::timestamptz[]) AS r(id, bytes, at)
     ON CONFLICT (server_id, report_id) DO NOTHING
     RETURNING report_id`,
    [
      p.serverId,
      p.accountId,
      p.reports.map((r) => r.id),
      p.at,
      p.reports.map((r) => r.bytes),
      p.reports.map((r) => r.at),
    ],
  );
  const accepted = new Set(rows.map((r) => r.report_id));
  return {
    accepted: accepted.size,
    duplicateIds: p.reports.map((r) => r.id).filter((id) => !accepted.has(id)),
  };
}

/**
 * The next accounts (by id, after `after`) with traffic not yet charged from before `dayStart`,
 * locked FOR UPDATE SKIP LOCKED (another worker's are skipped: that worker charges them).
 */
export function lockAccountsWithTraffic(
  q: Sql,
  p: { after: string; limit: number; dayStart: Date },
): Promise<string[]> {
  return lockAccountsWhere(
    q,
    'SELECT 1 FROM server_traffic t WHERE t.account_id = a.id AND t.charge_id IS NULL AND t.at < $3',
    { after: p.after, limit: p.limit, at: p.dayStart },
  );
}

export interface TrafficDay {
  /** the charge's id, already written on its reports */
  chargeId: string;
  accountId: string;
  /** the UTC day, YYYY-MM-DD */
  day: string;
  bytes: number;
}

/**
 * Marks the uncharged reports of `accountIds` from before `dayStart` with their charge (one per
 * account and UTC day: `${prefix}:${account}:${day}`) and returns what each charge covers. Only
 * the rows it marked are summed, so a report arriving meanwhile waits for the next run.
 */
export async function claimTrafficDays(
  q: Sql,
  p: { accountIds: readonly string[]; dayStart: Date; prefix: string },
): Promise<TrafficDay[]> {
  const rows = await q.query<{ charge_id: string; account_id: string; day: string; bytes: number }>(
    `WITH claimed AS (
       UPDATE server_traffic t
       SET charge_id = $3 || ':' || t.account_id || ':' || to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD')
       WHERE t.account_id = ANY($1::text[]) AND t.charge_id IS NULL AND t.at < $2
       RETURNING t.charge_id, t.account_id, t.bytes)
     SELECT charge_id, account_id, split_part(charge_id, ':', 3) AS day, sum(bytes)::int8 AS bytes
     FROM claimed GROUP BY charge_id, account_id ORDER BY account_id, charge_id`,
    [[...p.accountIds], p.dayStart, p.prefix],
  );
  return rows.map((r) => ({
    chargeId: r.charge_id,
    accountId: r.account_id,
    day: r.day,
    bytes: Number(r.bytes),
  }));
}

export async function insertTrafficCharge(
  q: Sql,
  c: TrafficDay & { unitPrice4: number; amountCents: number; ledgerEntryId: string | null; at: Date },
): Promise<void> {
  await q.query(
    `INSERT INTO server_traffic_charges (id, account_id, day, bytes, unit_price4, amount_cents, ledger_entry_id, created_at)
     VALUES ($1, $2, $3::date, $4::int8, $5::int8, $6::int8, $7, $8)`,
    [c.chargeId, c.accountId, c.day, c.bytes, c.unitPrice4, c.amountCents, c.ledgerEntryId, c.at],
  );
}

/** The time of the earliest traffic report not charged yet, or null. */
export async function earliestUnsettledTraffic(q: Sql): Promise<Date | null> {
  const rows = await q.query<{ at: Date | null }>(
    'SELECT min(at) AS at FROM server_traffic WHERE charge_id IS NULL',
  );
  return rows[0]?.at ?? null;
}
