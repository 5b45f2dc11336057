/** The server's clock (SPEC §12): the test clock can be advanced by operators. */
import { z } from 'zod';
import { iso, timestamp } from './fields.ts';

export const clockSchema = z
  .object({
    object: z.literal('clock'),
    now: timestamp,
    frozen: z.boolean().describe('true: the test clock, moved only by POST /admin/v1/clock/advance'),
    jobs_run: z.number().int().optional().describe('after an advance: the jobs that became due and ran'),
  })
  .meta({ id: 'Clock' });

export function presentClock(c: {
  now: Date;
  frozen: boolean;
  jobsRun?: number;
}): z.infer<typeof clockSchema> {
  return {
    object: 'clock',
    now: iso(c.now),
    frozen: c.frozen,
    ...(c.jobsRun !== undefined ? { jobs_run: c.jobsRun } : {}),
  };
}
