/**
 * PUT /v1/auto-top-ups/{product} (SPEC §2): creates or replaces the account's rule "when the pool
 * falls below below_gb, buy buy_gb GB", with its monthly spend cap. Only the caller's own account
 * is ever written. Turning a stopped rule on again clears its disabled_reason.
 */
import { type AutoTopUpView, listAutoTopUps, upsertAutoTopUp } from '../../db/auto-top-ups.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { BYTES_PER_GB, TRAFFIC_PRODUCTS, type TrafficProduct } from '../../domain/traffic.ts';
import type { Deps } from '../deps.ts';
import { monthStart } from './month-start.ts';

export const BUY_GB_MAX = 100_000;
export const BELOW_GB_MAX = 1_000_000;

export interface SetAutoTopUpCommand {
  accountId: string;
  product: TrafficProduct;
  belowGb: number;
  buyGb: number;
  monthlyCapCents: number;
  enabled: boolean;
}

export async function setAutoTopUp(deps: Deps, cmd: SetAutoTopUpCommand): Promise<Result<AutoTopUpView>> {
  if (!TRAFFIC_PRODUCTS.includes(cmd.product)) {
    return err('invalid_request', 'product must be residential or mobile', { param: 'product' });
  }
  if (!Number.isInteger(cmd.buyGb) || cmd.buyGb < 1 || cmd.buyGb > BUY_GB_MAX) {
    return err('invalid_request', `buy_gb must be an integer from 1 to ${BUY_GB_MAX}`, { param: 'buy_gb' });
  }
  if (!Number.isInteger(cmd.belowGb) || cmd.belowGb < 0 || cmd.belowGb > BELOW_GB_MAX) {
    return err('invalid_request', `below_gb must be an integer from 0 to ${BELOW_GB_MAX}`, {
      param: 'below_gb',
    });
  }
  if (!Number.isSafeInteger(cmd.monthlyCapCents) || cmd.monthlyCapCents <= 0) {
    return err('invalid_request', 'monthly_cap_usd must be more than 0', { param: 'monthly_cap_usd' });
  }
  const now = await deps.clock.now();
  await upsertAutoTopUp(deps.db, {
    accountId: cmd.accountId,
    product: cmd.product,
    belowBytes: cmd.belowGb * BYTES_PER_GB,
    buyGb: cmd.buyGb,
    monthlyCapCents: cmd.monthlyCapCents,
    enabled: cmd.enabled,
    now,
  });
  const [rule] = await listAutoTopUps(deps.db, cmd.accountId, monthStart(now), cmd.product);
  if (!rule) throw new Error('auto top-up rule vanished after its upsert');
  return ok(rule);
}
