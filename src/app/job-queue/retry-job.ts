/**
 * `POST /admin/v1/jobs/{id}/retry`: an operator runs a failed job again — due now, with fresh
 * attempts. Only a failed job can be retried (409 invalid_state otherwise: it is still pending,
 * running or done).
 */
import { getJob, type JobRow, retryFailedJob } from '../../db/jobs.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

export async function retryJob(deps: Deps, id: number): Promise<Result<JobRow>> {
  const at = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    if (!(await retryFailedJob(q, id, at))) {
      const job = await getJob(q, id);
      if (!job) return err('not_found', `No such job: ${id}`, { param: 'id' });
      return err('invalid_state', `Job ${id} has not failed: only a failed job can be retried`, {
        detail: { state: job.doneAt ? 'done' : 'pending' },
      });
    }
    const job = await getJob(q, id);
    return job ? ok(job) : err('not_found', `No such job: ${id}`, { param: 'id' });
  });
}
