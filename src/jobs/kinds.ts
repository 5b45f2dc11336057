/** Every job kind the worker knows. */
import { purgeKeysOlderThan } from '../db/idempotency.ts';
import type { JobKind } from './worker.ts';

const DAY_MS = 24 * 3600 * 1000;

export const jobKinds: Record<string, JobKind> = {
  purge_idempotency_keys: {
    everySeconds: 3600,
    handler: async (deps) => {
      // keys are kept at least 24 h (SPEC §1); wall time, as the keys' own timestamps are
      await purgeKeysOlderThan(deps.db, new Date(Date.now() - DAY_MS));
    },
  },
};
