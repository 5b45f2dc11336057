/** The provisioning job of a batch whose IPs are allocated (SPEC §6: asynchronous, survives restarts). */
import type { Sql } from '../../db/client.ts';
import { enqueueJob } from '../../db/jobs.ts';
import type { Deps } from '../deps.ts';

/** The job the provisioning worker runs for a batch whose IPs are allocated. */
export const PROVISION_JOB = 'provision_isp_batch';

/** Queues the provisioning of a batch whose IPs are allocated, after the provisioner's delay. */
export async function enqueueProvisioning(
  deps: Deps,
  q: Sql,
  batchId: string,
  country: string,
  at: Date,
): Promise<void> {
  await enqueueJob(q, {
    kind: PROVISION_JOB,
    payload: { batch_id: batchId },
    runAt: new Date(at.getTime() + deps.provisioner.delaySeconds(country) * 1000),
    dedupeKey: `${PROVISION_JOB}:${batchId}`,
    now: at,
  });
}
