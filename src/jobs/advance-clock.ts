/**
 * Advancing the test clock (SPEC §12): time moves in steps, stopping at every moment a job has
 * work — each one-off job's due time, and each moment a periodic job names with nextWorkAt (a
 * reminder, an expiry, the end of a grace) — so every job runs at its own time, in time order,
 * however far one advance goes: one 35-day advance does what 35 one-day advances do. Periodic jobs
 * also run at each stop where their next run is due.
 */
import type { Deps } from '../app/deps.ts';
import type { TestClock } from '../clock.ts';
import { makePeriodicDue, nextOneOffDueAt } from '../db/jobs.ts';
import { jobKinds } from './kinds.ts';
import { drainDueJobs, type JobKind } from './worker.ts';

/** A bound on the stops of one advance: a stop per hour for ten years is well inside it. */
const MAX_STOPS = 100_000;

interface Stop {
  at: number;
  /** periodic kinds whose own work is due at `at` */
  periodic: string[];
}

async function nextStop(
  deps: Deps,
  kinds: Record<string, JobKind>,
  now: number,
  target: number,
): Promise<Stop> {
  let stop: Stop = { at: target, periodic: [] };
  const consider = (at: number | undefined, kind?: string) => {
    // a due job that cannot run now (locked by another worker) must not stall the advance
    if (at === undefined || at <= now || at > stop.at) return;
    if (at < stop.at) stop = { at, periodic: [] };
    if (kind) stop.periodic.push(kind);
  };
  consider((await nextOneOffDueAt(deps.db))?.getTime());
  for (const [kind, k] of Object.entries(kinds)) {
    if (!k.nextWorkAt) continue;
    consider((await k.nextWorkAt(deps, new Date(now)))?.getTime(), kind);
  }
  return stop;
}

export async function advanceAndRun(
  deps: Deps,
  clock: TestClock,
  seconds: number,
): Promise<{ now: Date; jobsRun: number }> {
  const start = await clock.now();
  const target = start.getTime() + seconds * 1000;
  let jobsRun = await drainDueJobs(deps, jobKinds);
  for (let i = 0; i < MAX_STOPS; i++) {
    const now = (await clock.now()).getTime();
    const stop = await nextStop(deps, jobKinds, now, target);
    if (stop.at > now) await clock.advance((stop.at - now) / 1000);
    const at = new Date(stop.at);
    for (const kind of stop.periodic) await makePeriodicDue(deps.db, kind, at);
    jobsRun += await drainDueJobs(deps, jobKinds);
    if (stop.at >= target) break;
  }
  return { now: await clock.now(), jobsRun };
}
