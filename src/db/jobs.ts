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
 * Claims up to `limit` due jobs: marks them locked until `leaseUntil` (a crashed worker's jobs
 * become claimable again when the lease runs out) and counts the attempt.
 */
export async function claimDueJobs(q: Sql, now: Date, leaseUntil: Date, limit: number): Promise<Job[]> {
  const rows = await q.query(
    `UPDATE jobs SET locked_until = $2, attempts = attempts + 1
     WHERE id IN (
       SELECT id FROM jobs
       WHERE done_at IS NULL AND failed_at IS NULL AND run_at <= $1
         AND (locked_until IS NULL OR locked_until < $1)
       ORDER BY run_at, id
       LIMIT $3
       FOR UPDATE SKIP LOCKED)
     RETURNING id, kind, payload, run_at, attempts, max_attempts`,
    [now, leaseUntil, limit],
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

export async function completeJob(q: Sql, id: number, at: Date): Promise<void> {
  await q.query('UPDATE jobs SET done_at = $2, locked_until = NULL, dedupe_key = NULL WHERE id = $1', [
    id,
    at,
  ]);
}

/** A failed attempt: retried at `retryAt`, or failed for good after max attempts. */
export async function failJob(q: Sql, job: Job, error: string, retryAt: Date, at: Date): Promise<void> {
  if (job.attempts >= job.maxAttempts) {
    await q.query(
      'UPDATE jobs SET failed_at = $2, last_error = $3, locked_until = NULL, dedupe_key = NULL WHERE id = $1',
      [job.id, at, error],
    );
  } else {
    await q.query('UPDATE jobs SET run_at = $2, last_error = $3, locked_until = NULL WHERE id = $1', [
      job.id,
      retryAt,
      error,
    ]);
  }
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
