/**
 * The worker: claims due jobs (FOR UPDATE SKIP LOCKED, so any number of processes share the
 * work), runs their handlers, retries failures with exponential backoff. Each claim has its lease
 * token: a job's lease is extended just before it runs and the job is finished only while the
 * token still holds it (fencing), so a job whose lease ran out behind a slow one is run by one
 * worker, not two. Periodic jobs re-enqueue themselves under a dedupe key, so exactly one is
 * pending, and never die: a failing one backs off (at most an hour) and is tried again.
 */

import { randomUUID } from 'node:crypto';
import type { Deps } from '../app/deps.ts';
import { claimDueJobs, completeJob, enqueueJob, failJob, type Job, renewLease } from '../db/jobs.ts';

export type JobHandler = (deps: Deps, job: Job) => Promise<void>;

export interface JobKind {
  handler: JobHandler;
  /** periodic jobs: seconds between runs */
  everySeconds?: number;
  /**
   * Periodic jobs whose work falls due at moments of its own (a reminder, an expiry, the end of a
   * grace): the first such moment strictly after `after`, or null when nothing is scheduled. The
   * test clock's advance stops there and runs the job at that moment, so one long advance does
   * what many short ones do (SPEC §12).
   */
  nextWorkAt?: (deps: Deps, after: Date) => Promise<Date | null>;
}

const LEASE_SECONDS = 300;

function backoffSeconds(attempt: number): number {
  return Math.min(3600, 5 * 2 ** Math.max(0, attempt - 1));
}

/** Makes sure each periodic job has its next run pending. */
export async function schedulePeriodic(deps: Deps, kinds: Record<string, JobKind>): Promise<void> {
  const now = await deps.clock.now();
  for (const [kind, k] of Object.entries(kinds)) {
    if (!k.everySeconds) continue;
    await enqueueJob(deps.db, { kind, runAt: now, dedupeKey: `periodic:${kind}`, now });
  }
}

/** Runs every job due now; returns how many were claimed. */
async function runDueJobs(deps: Deps, kinds: Record<string, JobKind>, limit = 50): Promise<number> {
  const now = await deps.clock.now();
  const token = randomUUID();
  const lease = (at: Date) => new Date(at.getTime() + LEASE_SECONDS * 1000);
  const jobs = await deps.db.tx((q) => claimDueJobs(q, now, lease(now), limit, token));
  for (const job of jobs) {
    const kind = kinds[job.kind];
    const at = await deps.clock.now();
    // the lease may have run out while the jobs before this one ran: then it is another's
    if (!(await renewLease(deps.db, job.id, token, lease(at)))) {
      deps.log.warn({ jobId: job.id, kind: job.kind }, 'job lease lost before it ran; skipped');
      continue;
    }
    try {
      if (!kind) throw new Error(`no handler for job kind ${job.kind}`);
      await kind.handler(deps, job);
      const done = await completeJob(deps.db, job.id, token, at);
      if (!done) {
        deps.log.warn({ jobId: job.id, kind: job.kind }, 'job lease lost while it ran; not marked done here');
        continue;
      }
      if (kind.everySeconds) {
        await enqueueJob(deps.db, {
          kind: job.kind,
          runAt: new Date(at.getTime() + kind.everySeconds * 1000),
          dedupeKey: `periodic:${job.kind}`,
          now: at,
        });
      }
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      deps.log.error({ jobId: job.id, kind: job.kind, attempt: job.attempts, err: message }, 'job failed');
      const retryAt = new Date(at.getTime() + backoffSeconds(job.attempts) * 1000);
      await failJob(deps.db, job, token, message, retryAt, at, Boolean(kind?.everySeconds));
    }
  }
  return jobs.length;
}

/** Runs due jobs until none is left (the test clock's advance uses this). */
export async function drainDueJobs(deps: Deps, kinds: Record<string, JobKind>): Promise<number> {
  let total = 0;
  for (let i = 0; i < 1000; i++) {
    const n = await runDueJobs(deps, kinds);
    total += n;
    if (n === 0) break;
  }
  return total;
}

/** Polls for due jobs until stopped. */
export function startWorker(
  deps: Deps,
  kinds: Record<string, JobKind>,
  intervalMs = 1000,
): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = async () => {
    if (stopped) return;
    running = runDueJobs(deps, kinds).catch((e) => deps.log.error({ err: String(e) }, 'worker tick failed'));
    await running;
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  let timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
