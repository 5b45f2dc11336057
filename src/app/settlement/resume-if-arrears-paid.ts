/**
 * Paying the arrears resumes an account's suspended postpaid servers (SPEC §7). Called inside the
 * transaction of every path that credits the cash balance (a top-up, an operator's credit, a
 * prepaid payment that also covers the arrears), after the credit: when the balance is back to
 * ≥ 0 the servers suspended for arrears run again and are billed from the resume hour on. The
 * settlement run also sweeps (settle-server-hours.ts), for credits made any other way.
 */
import type { Sql } from '../../db/client.ts';
import { resumeSuspendedServers } from '../../db/settlement.ts';

/** True when servers of the account were resumed. */
export async function resumeIfArrearsPaid(q: Sql, accountId: string, at: Date): Promise<boolean> {
  return (await resumeSuspendedServers(q, accountId, at)).length > 0;
}
