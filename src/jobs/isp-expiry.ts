/**
 * The periodic job `isp_expiry_sweep` (every minute): reminders, auto-renewals, expiry and the
 * release of expired batches after their grace (app/isp/sweep-isp-expiry.ts). It looks for what is due
 * now, so it needs no per-batch schedule and a restart loses nothing; it names its next moment
 * (nextWorkAt) so the test clock runs it at each reminder, expiry and end of grace.
 */
import { nextIspExpiryWorkAt, sweepIspExpiry } from '../app/isp/sweep-isp-expiry.ts';
import type { JobKind } from './worker.ts';

export const ISP_EXPIRY_JOB = 'isp_expiry_sweep';

export const ispExpiryJob: JobKind = {
  everySeconds: 60,
  nextWorkAt: nextIspExpiryWorkAt,
  handler: async (deps) => {
    await sweepIspExpiry(deps);
  },
};
