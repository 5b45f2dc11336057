/**
 * Advancing the test clock: time moves in steps, stopping at each one-off job's due time so jobs
 * run in the order and at the time they would have (a reminder before an expiry, say); periodic
 * jobs run at each stop.
 */
import type { Deps } from '../app/deps.ts';
import type { TestClock } from '../clock.ts';
import { nextOneOffDueAt } from '../db/jobs.ts';
import { jobKinds } from './kinds.ts';
import { drainDueJobs } from './worker.ts';

export async function advanceAndRun(
  deps: Deps,
  clock: TestClock,
  seconds: number,
): Promise<{ now: Date; jobsRun: number }> {
  const start = await clock.now();
  const target = start.getTime() + seconds * 1000;
  let jobsRun = await drainDueJobs(deps, jobKinds);
  for (let i = 0; i < 10_000; i++) {
    const now = (await clock.now()).getTime();
    const next = await nextOneOffDueAt(deps.db);
    // a due job that cannot run now (locked by another worker) must not stall the advance
    const stop = next && next.getTime() <= target && next.getTime() > now ? next.getTime() : target;
    if (stop > now) await clock.advance((stop - now) / 1000);
    jobsRun += await drainDueJobs(deps, jobKinds);
    if (stop >= target) break;
  }
  return { now: await clock.now(), jobsRun };
}
