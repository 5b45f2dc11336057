/**
 * A gateway reports a postpaid server's traffic (SPEC §7: metered, settled daily), through
 * POST /admin/v1/servers/{id}/traffic: reports `{id, bytes, at}`, idempotent per report id (a
 * repeated id counts once). The daily settlement (settle-server-traffic.ts) charges them.
 */
import { getServer } from '../../db/servers.ts';
import { insertTrafficReports, type TrafficReport } from '../../db/settlement-traffic.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export const MAX_TRAFFIC_REPORTS = 1000;

export async function recordServerTraffic(
  deps: Deps,
  cmd: { serverId: string; reports: readonly TrafficReport[] },
): Promise<Result<{ accepted: number; duplicates: number; duplicateIds: string[] }>> {
  const now = await deps.clock.now();
  const late = cmd.reports.findIndex((r) => r.at.getTime() > now.getTime());
  if (late >= 0) {
    return err('invalid_request', 'a traffic report cannot be in the future', {
      param: `reports[${late}].at`,
    });
  }
  const server = await getServer(deps.db, cmd.serverId, null);
  if (!server) return err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  if (server.paymentMode !== 'postpaid') {
    return err('invalid_state', 'Traffic is metered for postpaid servers only');
  }
  const r = await insertTrafficReports(deps.db, {
    serverId: server.id,
    accountId: server.accountId,
    reports: cmd.reports,
    at: now,
  });
  return ok({ accepted: r.accepted, duplicates: r.duplicateIds.length, duplicateIds: r.duplicateIds });
}
