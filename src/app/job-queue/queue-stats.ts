/** The job queue's figures for /metrics: due, oldest due age, running, failed. */
import { type QueueStats, queueStats } from '../../db/jobs.ts';
import type { Deps } from '../deps.ts';

export async function jobQueueStats(deps: Deps): Promise<QueueStats> {
  return queueStats(deps.db, await deps.clock.now());
}
