/** Every job kind the worker knows. */
import { recoverPayments } from '../app/recover-payments.ts';
import { purgeKeysOlderThan } from '../db/idempotency.ts';
import type { JobKind } from './worker.ts';

const DAY_MS = 24 * 3600 * 1000;

export const jobKinds: Record<string, JobKind> = {
  recover_payments: {
    everySeconds: 30,
    handler: async (deps) => {
      const r = await recoverPayments(deps, { olderThanSeconds: 30, limit: 100 });
      if (r.settled + r.voided + r.failed + r.pending > 0) deps.log.info({ ...r }, 'payment recovery');
    },
  },
  purge_idempotency_keys: {
    everySeconds: 3600,
    handler: async (deps) => {
      // keys are kept at least 24 h (SPEC §1) of the injected clock, as their created_at is
      await purgeKeysOlderThan(deps.db, new Date((await deps.clock.now()).getTime() - DAY_MS));
    },
  },
};
