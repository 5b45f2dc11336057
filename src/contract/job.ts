/** A job of the queue, as operators see it (issue 13: failed jobs listed and retried). */
import { z } from 'zod';
import type { JobRow } from '../db/jobs.ts';
import { iso, isoOrNull, timestamp } from './fields.ts';

export const jobSchema = z
  .object({
    object: z.literal('job'),
    id: z.number().int(),
    kind: z.string().describe('provision_isp_batch, send_mail, isp_expiry_sweep, …'),
    state: z.enum(['scheduled', 'due', 'running', 'done', 'failed']),
    payload: z.record(z.string(), z.unknown()),
    run_at: timestamp.describe('when it is (or was last) due'),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    last_error: z.string().nullable(),
    done_at: timestamp.nullable(),
    failed_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Job' });

export function jobState(j: JobRow, now: Date): z.infer<typeof jobSchema>['state'] {
  if (j.failedAt) return 'failed';
  if (j.doneAt) return 'done';
  if (j.lockedUntil && j.lockedUntil.getTime() >= now.getTime()) return 'running';
  return j.runAt.getTime() <= now.getTime() ? 'due' : 'scheduled';
}

export function presentJob(j: JobRow, now: Date): z.infer<typeof jobSchema> {
  return {
    object: 'job',
    id: j.id,
    kind: j.kind,
    state: jobState(j, now),
    payload: j.payload,
    run_at: iso(j.runAt),
    attempts: j.attempts,
    max_attempts: j.maxAttempts,
    last_error: j.lastError,
    done_at: isoOrNull(j.doneAt),
    failed_at: isoOrNull(j.failedAt),
    created_at: iso(j.createdAt),
  };
}
