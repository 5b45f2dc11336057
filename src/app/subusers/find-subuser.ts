/** Reading subusers (with their caps and usage) and the account's traffic pools (SPEC §2). */
import { getSubuser, listSubusers, type SubuserWithUsage, withUsage } from '../../db/subusers.ts';
import { listPools, type Pool } from '../../db/usage.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { TRAFFIC_PRODUCTS } from '../../domain/traffic.ts';
import type { Deps } from '../deps.ts';

/** accountId null: an operator sees any account's subuser. Another tenant's is not_found. */
export async function findSubuser(
  deps: Deps,
  accountId: string | null,
  id: string,
): Promise<Result<SubuserWithUsage>> {
  const s = await getSubuser(deps.db, id, accountId);
  if (!s) return err('not_found', `No such subuser: ${id}`, { param: 'id' });
  const [full] = await withUsage(deps.db, [s]);
  return ok(full!);
}

/** A page of subusers, newest first: limit + 1 rows so the caller can tell has_more. */
export async function searchSubusers(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Result<SubuserWithUsage[]>> {
  const rows = await listSubusers(deps.db, accountId, { ...page, limit: page.limit + 1 });
  return ok(await withUsage(deps.db, rows));
}

/** Every bandwidth product's pool of the account, zero for products never bought. */
export async function accountPools(deps: Deps, accountId: string): Promise<Pool[]> {
  const pools = await listPools(deps.db, accountId);
  return TRAFFIC_PRODUCTS.map(
    (product) =>
      pools.find((p) => p.product === product) ?? {
        product,
        remainingBytes: 0,
        purchasedBytes: 0,
        usedBytes: 0,
      },
  );
}
