/** Aggregates for the console's dashboard charts (SPEC §10): traffic used per day, spend per month. */
import type { Sql } from './client.ts';

export interface UsageDay {
  /** the UTC day, YYYY-MM-DD */
  day: string;
  product: string;
  subuserId: string;
  bytes: number;
}

/** Traffic used per UTC day, product and subuser in [from, to), oldest first. */
export async function usageByDay(q: Sql, accountId: string, from: Date, to: Date): Promise<UsageDay[]> {
  const rows = await q.query<{ day: string; product: string; subuser_id: string; bytes: string }>(
    `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, product, subuser_id, sum(bytes)::text AS bytes
       FROM usage_lines
      WHERE account_id = $1 AND at >= $2 AND at < $3
      GROUP BY 1, 2, 3
      ORDER BY 1, 2, 3`,
    [accountId, from, to],
  );
  return rows.map((r) => ({
    day: r.day,
    product: r.product,
    subuserId: r.subuser_id,
    bytes: Number(r.bytes),
  }));
}

export interface SpendMonth {
  /** the UTC month of the orders' creation, YYYY-MM */
  month: string;
  product: string;
  /** cash paid less cash refunded, cents */
  cents: number;
}

/** Cash spent per UTC month (of the order's creation) and product in [from, to), oldest first. */
export async function spendByMonth(q: Sql, accountId: string, from: Date, to: Date): Promise<SpendMonth[]> {
  const rows = await q.query<{ month: string; product: string; cents: string }>(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month, product,
            sum(paid_cents - refunded_cents)::text AS cents
       FROM orders
      WHERE account_id = $1 AND created_at >= $2 AND created_at < $3 AND paid_cents > 0
      GROUP BY 1, 2
      ORDER BY 1, 2`,
    [accountId, from, to],
  );
  return rows.map((r) => ({ month: r.month, product: r.product, cents: Number(r.cents) }));
}
