/** GET /v1/servers and GET /v1/servers/{id}: the account's servers (another account's are 404). */
import { getServer, listServers, type ServerRow } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export async function findServer(deps: Deps, accountId: string, id: string): Promise<Result<ServerRow>> {
  const s = await getServer(deps.db, id, accountId);
  return s ? ok(s) : err('not_found', `No such server: ${id}`, { param: 'id' });
}

/** A page of servers, newest first: limit + 1 rows, so the list can tell has_more. */
export async function searchServers(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Result<ServerRow[]>> {
  return ok(await listServers(deps.db, accountId, { ...page, limit: page.limit + 1 }));
}
