/**
 * The trigger of an auto top-up (SPEC §2), called by usage ingest inside its transaction right
 * after a pool's draw-down: when that draw-down took the pool from at or above the rule's line to
 * below it (a crossing), one job is enqueued for it, keyed by the draw-down's ledger entry. More
 * usage while the pool stays below is no crossing; the pool has to go back to or above the line
 * (the top-up itself, any order) before the next draw-down below it is one again.
 */

import { type Crossing, enqueueOnCrossing } from '../../db/auto-top-ups.ts';
import type { Sql } from '../../db/client.ts';

export const AUTO_TOP_UP_JOB = 'auto_top_up';

export async function enqueueAutoTopUp(q: Sql, c: Crossing): Promise<boolean> {
  if (c.drawn <= 0) return false;
  return enqueueOnCrossing(q, { kind: AUTO_TOP_UP_JOB, ...c });
}
