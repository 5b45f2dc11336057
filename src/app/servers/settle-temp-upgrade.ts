/**
 * Settling a temporary upgrade in the paying transaction (the request's and crash recovery's;
 * settle-server-order.ts dispatches here): the window is applied to the locked server if it is
 * still as priced, and its revert queued as a one-off job at the window's end.
 */
import type { Sql } from '../../db/client.ts';
import { enqueueJob } from '../../db/jobs.ts';
import { getServer, setTempUpgrade } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import type { SettleInput } from '../payments/take-payment.ts';
import { movedMeanwhile, settleServerChange } from './settle-server-term.ts';

/** The one-off job that ends a temporary upgrade (payload `{server_id}`), due at its end. */
export const TEMP_UPGRADE_REVERT_JOB = 'server_temp_upgrade_revert';

/** The server before and after a temporary upgrade, as stored in the order's details. */
export interface TempStates {
  before: { spec: string; temp_until: string | null };
  after: { spec: string; base_spec: string; until: string };
}

/** Applies the order's window to the locked server if it is still as priced, and queues the revert. */
export async function applyTempUpgrade(q: Sql, order: Order, at: Date): Promise<Result<void>> {
  const id = order.details.server_id as string;
  const s = await getServer(q, id, order.accountId, { forUpdate: true });
  if (!s) return err('not_found', `No such server: ${id}`, { param: 'id' });
  const before = order.details.server_before as TempStates['before'];
  const after = order.details.server_after as TempStates['after'];
  const until = new Date(after.until);
  const applied = await setTempUpgrade(
    q,
    id,
    { spec: before.spec, tempUntil: before.temp_until ? new Date(before.temp_until) : null },
    { spec: after.spec, baseSpec: after.base_spec, until },
    at,
  );
  if (!applied) return movedMeanwhile(id);
  await enqueueJob(q, {
    kind: TEMP_UPGRADE_REVERT_JOB,
    payload: { server_id: id },
    runAt: until,
    dedupeKey: `${TEMP_UPGRADE_REVERT_JOB}:${id}:${after.until}`,
    now: at,
  });
  return ok(undefined);
}

/** The paying transaction of a charged temporary upgrade (the request's and crash recovery's). */
export function settleTempUpgrade(deps: Deps, q: Sql, p: SettleInput): Promise<Result<Order>> {
  return settleServerChange(deps, q, p, applyTempUpgrade);
}
