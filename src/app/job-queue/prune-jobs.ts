/**
 * The periodic job prune_jobs: deletes jobs done more than ORDERDESK_JOB_RETENTION_HOURS ago (72 h
 * by default) in batches, so the queue does not grow by the periodic jobs' rows (about 32,000 a
 * day). Failed jobs stay until an operator retries them.
 */
import { pruneDoneJobs } from '../../db/jobs.ts';
import type { Deps } from '../deps.ts';

export const PRUNE_JOBS_JOB = 'prune_jobs';
const BATCH = 5000;
const MAX_BATCHES = 100;

export async function pruneJobs(deps: Deps): Promise<number> {
  const now = await deps.clock.now();
  const before = new Date(now.getTime() - deps.config.jobRetentionHours * 3600 * 1000);
  let total = 0;
  for (let i = 0; i < MAX_BATCHES; i++) {
    const n = await pruneDoneJobs(deps.db, before, BATCH);
    total += n;
    if (n < BATCH) break;
  }
  return total;
}
