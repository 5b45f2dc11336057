/** GET /v1/reserved-instances: the account's coupons, newest first, with the time they are seen at. */
import { type Coupon, listCoupons as listCouponRows } from '../../db/reserved-instances.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export async function listCoupons(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Result<{ rows: Coupon[]; now: Date }>> {
  const [now, rows] = await Promise.all([deps.clock.now(), listCouponRows(deps.db, accountId, page)]);
  return ok({ rows, now });
}
