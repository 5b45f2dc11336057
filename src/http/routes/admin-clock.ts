/**
 * POST /admin/v1/clock/advance (test clock mode only): moves the shared clock and runs every job
 * that became due before answering, so delays, expiry and settlement can be tried in seconds. The
 * advance itself (which runs the worker's jobs) is given by whoever wires the app (main.ts, the
 * test harness): routes do not import the worker.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import type { TestClock } from '../../clock.ts';
import { clockSchema, presentClock } from '../../contract/clock.ts';
import { fail } from '../errors.ts';

function isTestClock(c: Deps['clock']): c is TestClock {
  return c.frozen && typeof (c as TestClock).advance === 'function';
}

/** Moves the test clock by `seconds`, running each job at its due time; the worker provides it. */
export type ClockAdvancer = (clock: TestClock, seconds: number) => Promise<{ now: Date; jobsRun: number }>;

export function adminClockRoutes(app: FastifyInstance, deps: Deps, advance: ClockAdvancer | undefined) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/admin/v1/clock',
    {
      schema: {
        operationId: 'getClock',
        tags: ['admin'],
        summary: 'The current time',
        response: { 200: clockSchema },
      },
    },
    async () => presentClock({ now: await deps.clock.now(), frozen: deps.clock.frozen }),
  );
  r.post(
    '/admin/v1/clock/advance',
    {
      schema: {
        operationId: 'advanceClock',
        tags: ['admin'],
        summary: 'Move the test clock forward and run the jobs that became due',
        body: z.strictObject({
          seconds: z
            .number()
            .int()
            .min(1)
            .max(10 * 366 * 24 * 3600),
        }),
        response: { 200: clockSchema },
        errors: ['invalid_state'],
      },
    },
    async (req, res) => {
      const clock = deps.clock;
      if (!isTestClock(clock) || !advance) {
        return fail(
          res,
          'invalid_state',
          'The test clock is off; start the server with ORDERDESK_TEST_CLOCK=1',
        );
      }
      const result = await advance(clock, req.body.seconds);
      return presentClock({ now: result.now, frozen: true, jobsRun: result.jobsRun });
    },
  );
}
