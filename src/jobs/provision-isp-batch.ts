/**
 * The durable job `provision_isp_batch` {batch_id} (PROVISION_JOB of app/isp/enqueue-provisioning.ts),
 * enqueued with the ISP order that allocated the batch's IPs and due after the provisioner's
 * delay (SPEC §6; see app/isp/provision-isp-batch.ts). It survives restarts as a row; a provisioner
 * that throws or asks to retry fails the attempt, and the worker runs it again with backoff.
 */
import { provisionIspBatch } from '../app/isp/provision-isp-batch.ts';
import type { JobKind } from './worker.ts';

export const provisionIspBatchJob: JobKind = {
  handler: async (deps, job) => {
    const batchId = job.payload.batch_id;
    if (typeof batchId !== 'string') {
      // a malformed payload will not get better by retrying
      deps.log.error({ jobId: job.id, payload: job.payload }, 'provision_isp_batch without a batch_id');
      return;
    }
    const r = await provisionIspBatch(deps, { batchId });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    if (r.value.outcome === 'retry') throw new Error(`provisioner asked to retry: ${r.value.reason}`);
  },
};
