/**
 * Jobs are rows: enqueued in the same transaction as their cause, claimed with
 * FOR UPDATE SKIP LOCKED (so no job runs twice across processes), retried with backoff.
 */
import type { Sql } from './client.ts';

export interface Job {
  id: number;
  kind: string;
  payload: Record<string, unknown>;
  runAt: Date;
  attempts: number;
  maxAttempts: number;
}

export async function enqueueJob(
  q: Sql,
  j: {
    kind: string;
    payload?: Record<string, unknown>;
    runAt: Date;
    dedupeKey?: string;
    maxAttempts?: number;
    now: Date;
  },
): Promise<void> {
  await q.query(
    `INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts, created_at)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING`,
    [j.kind, JSON.stringify(j.payload ?? {}), j.dedupeKey ?? null, j.runAt, j.maxAttempts ?? 25, j.now],
  );
}

/**
 * Claims up to `limit` due jobs under the lease `token`: marks them locked until `leaseUntil` (a
 * crashed worker's jobs become claimable again when the lease runs out) and counts the attempt.
 */
export async function claimDueJobs(
  q: Sql,
  now: Date,
  leaseUntil: Date,
  limit: number,
  token: string,
): Promise<Job[]> {
  const rows = await q.query(
    `UPDATE jobs SET locked_until = $2, attempts = attempts + 1, lease_token = $4
     WHERE id IN (
       SELECT id FROM jobs
       WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
         AND (locked_until IS NULL OR locked_until < $1)
       ORDER BY run_at, id
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, payload, run_at, attempts, max_attempts`,
    [now, leaseUntil, limit, token],
  );
  return rows.map((r) => ({
    id: r.id as number,
    kind: r.kind as string,
    payload: r.payload as Record<string, unknown>,
    runAt: r.run_at as Date,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
  }));
}

/**
 * Extends a claimed job's lease just before it runs; false when the lease is no longer this
 * worker's (it ran out while earlier jobs of the claim ran, and another worker took the job).
 */
export async function renewLease(q: Sql, id: number, token: string, leaseUntil: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE jobs SET locked_until = $3
     WHERE id = $1 AND lease_token = $2 AND done_at IS NULL AND failed_at IS NULL RETURNING id`,
    [id, token, leaseUntil],
  );
  return rows.length === 1;
}

/** Marks a job done, only while `token` still holds its lease (fencing); false otherwise. */
export async function completeJob(q: Sql, id: number, token: string, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE jobs SET done_at = $3, locked_until = NULL, dedupe_key = NULL
     WHERE id = $1 AND lease_token = $2 AND done_at IS NULL RETURNING id`,
    [id, token, at],
  );
  return rows.length === 1;
}

/**
 * A failed attempt (only while `token` holds the lease): retried at `retryAt`, or failed for good
 * after max attempts — unless `periodic`: a periodic job never dies, it is retried at `retryAt`
 * (its backoff) however often it fails, and its attempts count on for the record.
 */
export async function failJob(
  q: Sql,
  job: Job,
  token: string,
  error: string,
  retryAt: Date,
  at: Date,
  periodic = false,
): Promise<void> {
  if (job.attempts >= job.maxAttempts && !periodic) {
    await q.query(
      `UPDATE jobs SET failed_at = $3, last_error = $4, locked_until = NULL, dedupe_key = NULL
       WHERE id = $1 AND lease_token = $2`,
      [job.id, token, at, error],
    );
  } else {
    await q.query(
      `UPDATE jobs SET run_at = $3, last_error = $4, locked_until = NULL
       WHERE id = $1 AND lease_token = $2`,
      [job.id, token, retryAt, error],
    );
  }
}

export interface JobRow extends Job {
  lastError: string | null;
  lockedUntil: Date | null;
  doneAt: Date | null;
  failedAt: Date | null;
  createdAt: Date;
}

export type JobState = 'due' | 'scheduled' | 'running' | 'failed' | 'done';

const JOB_STATE_WHERE: Record<JobState, string> = {
  due: 'done_at IS NULL AND failed_at IS NULL AND run_at <= $1 AND (locked_until IS NULL OR locked_until < $1)',
  scheduled: 'done_at IS NULL AND failed_at IS NULL AND run_at > $1',
  running: 'done_at IS NULL AND failed_at IS NULL AND locked_until >= $1',
  failed: 'failed_at IS NOT NULL',
  done: 'done_at IS NOT NULL',
};

function mapJobRow(r: Record<string, unknown>): JobRow {
  return {
    id: r.id as number,
    kind: r.kind as string,
    payload: r.payload as Record<string, unknown>,
    runAt: r.run_at as Date,
    attempts: r.attempts as number,
    maxAttempts: r.max_attempts as number,
    lastError: (r.last_error as string | null) ?? null,
    lockedUntil: (r.locked_until as Date | null) ?? null,
    doneAt: (r.done_at as Date | null) ?? null,
    failedAt: (r.failed_at as Date | null) ?? null,
    createdAt: r.created_at as Date,
  };
}

const JOB_COLS =
  'id, kind, payload, run_at, attempts, max_attempts, last_error, locked_until, done_at, failed_at, created_at';

/** A page of jobs in a state, newest id first (limit + 1 rows for has_more is the caller's). */
export async function listJobs(
  q: Sql,
  f: { state: JobState; kind?: string; now: Date; limit: number; startingAfter?: number },
): Promise<JobRow[]> {
  const rows = await q.query(
    `SELECT ${JOB_COLS} FROM jobs
     WHERE (${JOB_STATE_WHERE[f.state]}) AND $1::timestamptz IS NOT NULL
       AND ($2::text IS NULL OR kind = $2) AND ($3::int8 IS NULL OR id < $3)
     ORDER BY id DESC LIMIT $4::int4`,
    [f.now, f.kind ?? null, f.startingAfter ?? null, f.limit],
  );
  return rows.map(mapJobRow);
}

export async function getJob(q: Sql, id: number): Promise<JobRow | null> {
  const rows = await q.query(`SELECT ${JOB_COLS} FROM jobs WHERE id = $1`, [id]);
  return rows[0] ? mapJobRow(rows[0]) : null;
}

/** A failed job made due again with fresh attempts; false when it is not failed (any more). */
export async function retryFailedJob(q: Sql, id: number, at: Date): Promise<boolean> {
  const rows = await q.query(
    `UPDATE jobs SET failed_at = NULL, attempts = 0, run_at = $2, locked_until = NULL, lease_token = NULL
     WHERE id = $1 AND failed_at IS NOT NULL RETURNING id`,
    [id, at],
  );
  return rows.length === 1;
}

/** Deletes up to `limit` jobs done before `before`; returns how many. */
export async function pruneDoneJobs(q: Sql, before: Date, limit: number): Promise<number> {
  const rows = await q.query(
    `DELETE FROM jobs WHERE id IN (
       SELECT id FROM jobs WHERE done_at IS NOT NULL AND done_at < $1 LIMIT $2::int4)
     RETURNING id`,
    [before, limit],
  );
  return rows.length;
}

export interface QueueStats {
  /** jobs due now and not running */
  due: number;
  /** seconds the oldest due job has waited (0 when none) */
  oldestDueSeconds: number;
  running: number;
  failed: number;
}

export async function queueStats(q: Sql, now: Date): Promise<QueueStats> {
  const rows = await q.query<Record<string, unknown>>(
    `SELECT
       (SELECT count(*) FROM jobs WHERE ${JOB_STATE_WHERE.due})::int8 AS due,
       (SELECT min(run_at) FROM jobs WHERE ${JOB_STATE_WHERE.due}) AS oldest,
       (SELECT count(*) FROM jobs WHERE ${JOB_STATE_WHERE.running})::int8 AS running,
       (SELECT count(*) FROM jobs WHERE failed_at IS NOT NULL)::int8 AS failed`,
    [now],
  );
  const r = rows[0] ?? {};
  const oldest = r.oldest as Date | null;
  return {
    due: Number(r.due ?? 0),
    oldestDueSeconds: oldest ? Math.max(0, (now.getTime() - oldest.getTime()) / 1000) : 0,
    running: Number(r.running ?? 0),
    failed: Number(r.failed ?? 0),
  };
}

/**
 * Makes the pending run of a periodic job kind due at `now` (the test clock stopped at a moment
 * the kind named with nextWorkAt); a run already due, or running, is left as it is.
 */
export async function makePeriodicDue(q: Sql, kind: string, now: Date): Promise<void> {
  await q.query(
    `UPDATE jobs SET run_at = $2
     WHERE dedupe_key = $1 AND done_at IS NULL AND failed_at IS NULL AND run_at > $2
       AND (locked_until IS NULL OR locked_until < $2)`,
    [`periodic:${kind}`, now],
  );
}

/** When the next one-off (non-periodic) job is due. */
export async function nextOneOffDueAt(q: Sql): Promise<Date | null> {
  const rows = await q.query<{ run_at: Date | null }>(
    `SELECT min(run_at) AS run_at FROM jobs
     WHERE done_at IS NULL AND failed_at IS NULL AND (dedupe_key IS NULL OR dedupe_key NOT LIKE 'periodic:%')`,
  );
  return rows[0]?.run_at ?? null;
}
