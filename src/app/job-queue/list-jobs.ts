/** `GET /admin/v1/jobs`: the job queue for operators — failed jobs above all (issue 13). */
import { getJob, type JobRow, type JobState, listJobs } from '../../db/jobs.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export async function searchJobs(
  deps: Deps,
  f: { state: JobState; kind?: string; limit: number; startingAfter?: number },
): Promise<JobRow[]> {
  return listJobs(deps.db, { ...f, limit: f.limit + 1, now: await deps.clock.now() });
}

export async function findJob(deps: Deps, id: number): Promise<Result<JobRow>> {
  const job = await getJob(deps.db, id);
  return job ? ok(job) : err('not_found', `No such job: ${id}`, { param: 'id' });
}
