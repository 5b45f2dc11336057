/** Auto top-up rules (SPEC §2): per account and bandwidth product; see migration 021. */
import type { Sql } from './client.ts';

export interface AutoTopUp {
  accountId: string;
  product: string;
  belowBytes: number;
  buyGb: number;
  monthlyCapCents: number;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A rule with what its account spent on auto top-ups of its product in the current month. */
export type AutoTopUpView = AutoTopUp & { monthSpentCents: number };

const COLUMNS = `r.account_id, r.product, r.below_bytes, r.buy_gb, r.monthly_cap_cents, r.enabled,
  r.disabled_reason, r.created_at, r.updated_at`;

/** The month's auto spend of a rule: its auto top-up orders since `$month`, cancelled ones aside. */
const MONTH_SPENT = `COALESCE((SELECT sum(o.payable_cents) FROM orders o
  WHERE o.account_id = r.account_id AND o.product = r.product AND o.details ->> 'source' = 'auto_top_up'
    AND o.created_at >= $MONTH AND o.payment_status <> 'cancelled'), 0)::int8`;

function mapRow(r: Record<string, unknown>): AutoTopUp {
  return {
    accountId: r.account_id as string,
    product: r.product as string,
    belowBytes: Number(r.below_bytes),
    buyGb: Number(r.buy_gb),
    monthlyCapCents: Number(r.monthly_cap_cents),
    enabled: r.enabled as boolean,
    disabledReason: (r.disabled_reason as string | null) ?? null,
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/**
 * Creates or replaces the account's rule for `product`. Any PUT clears disabled_reason: turning a
 * stopped rule on again is the customer's answer to the mail.
 */
export async function upsertAutoTopUp(
  q: Sql,
  r: Pick<AutoTopUp, 'accountId' | 'product' | 'belowBytes' | 'buyGb' | 'monthlyCapCents' | 'enabled'> & {
    now: Date;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO auto_top_ups AS r (account_id, product, below_bytes, buy_gb, monthly_cap_cents, enabled,
       disabled_reason, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $7)
     ON CONFLICT (account_id, product) DO UPDATE SET below_bytes = EXCLUDED.below_bytes,
       buy_gb = EXCLUDED.buy_gb, monthly_cap_cents = EXCLUDED.monthly_cap_cents, enabled = EXCLUDED.enabled,
       disabled_reason = NULL, updated_at = EXCLUDED.updated_at`,
    [r.accountId, r.product, r.belowBytes, r.buyGb, r.monthlyCapCents, r.enabled, r.now],
  );
}

/** The account's rules (only its own), by product, with the spend since `monthStart`. */
export async function listAutoTopUps(
  q: Sql,
  accountId: string,
  monthStart: Date,
  product?: string,
): Promise<AutoTopUpView[]> {
  const rows = await q.query(
    `SELECT ${COLUMNS}, ${MONTH_SPENT.replace('$MONTH', '$2')} AS month_spent_cents
     FROM auto_top_ups r WHERE r.account_id = $1 AND ($3::text IS NULL OR r.product = $3)
     ORDER BY r.product`,
    [accountId, monthStart, product ?? null],
  );
  return rows.map((r) => ({ ...mapRow(r), monthSpentCents: Number(r.month_spent_cents) }));
}

/** A usage draw-down that may have taken a pool below an auto top-up line. */
export interface Crossing {
  accountId: string;
  product: string;
  /** the pool's remaining bytes after the draw-down */
  after: number;
  /** bytes the draw-down took */
  drawn: number;
  /** the draw-down's pool ledger entry: the crossing's identity */
  crossingId: string;
  now: Date;
}

/**
 * In the usage transaction, after the pool's draw-down of `drawn` bytes left `after`: when that
 * took the pool from at or above an enabled rule's line to below it, enqueues the top-up job for
 * this crossing (`crossingId`, the usage ledger entry, is its dedupe key). True when enqueued.
 */
export async function enqueueOnCrossing(q: Sql, c: Crossing & { kind: string }): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at)
     SELECT $1, jsonb_build_object('account_id', r.account_id, 'product', r.product, 'crossing_id', $4::text),
       $1 || ':' || $4::text, $5, 25, $5
     FROM auto_top_ups r
     WHERE r.account_id = $2 AND r.product = $3 AND r.enabled
       AND $6::int8 < r.below_bytes AND $6::int8 + $7::int8 >= r.below_bytes
     ON CONFLICT (dedupe_key) DO NOTHING
     RETURNING id`,
    [c.kind, c.accountId, c.product, c.crossingId, c.now, c.after, c.drawn],
  );
  return rows.length > 0;
}

/**
 * Takes the rule for one top-up run (running_until a lease, so a dead run's hold expires): the
 * rule with its month's spend, or null when it is disabled, gone, or held by another run.
 */
export async function claimAutoTopUp(
  q: Sql,
  accountId: string,
  product: string,
  now: Date,
  leaseUntil: Date,
  monthStart: Date,
): Promise<AutoTopUpView | null> {
  const rows = await q.query(
    `UPDATE auto_top_ups r SET running_until = $4
     WHERE r.account_id = $1 AND r.product = $2 AND r.enabled
       AND (r.running_until IS NULL OR r.running_until <= $3)
     RETURNING ${COLUMNS}, ${MONTH_SPENT.replace('$MONTH', '$5')} AS month_spent_cents`,
    [accountId, product, now, leaseUntil, monthStart],
  );
  const r = rows[0];
  return r ? { ...mapRow(r), monthSpentCents: Number(r.month_spent_cents) } : null;
}

/** Ends a run's hold on the rule. */
export async function releaseAutoTopUp(q: Sql, accountId: string, product: string): Promise<void> {
  await q.query('UPDATE auto_top_ups SET running_until = NULL WHERE account_id = $1 AND product = $2', [
    accountId,
    product,
  ]);
}

/** Turns an enabled rule off with `reason`; true only for the run that turned it off. */
export async function disableAutoTopUp(
  q: Sql,
  accountId: string,
  product: string,
  reason: string,
  now: Date,
): Promise<boolean> {
  const rows = await q.query(
    `UPDATE auto_top_ups SET enabled = false, disabled_reason = $3, updated_at = $4, running_until = NULL
     WHERE account_id = $1 AND product = $2 AND enabled RETURNING product`,
    [accountId, product, reason, now],
  );
  return rows.length > 0;
}
