/**
 * Stock alerts, the customer's side (SPEC §6, Settings → Alerts): create, list, retrieve and
 * delete (soft). A new alert is evaluated at once, in its creating transaction: if its place
 * already has the minimum available it fires right away (one mail) and waits, disarmed, for the
 * stock to drop below the minimum.
 */
import type { StockAlertView } from '../../contract/stock-alert.ts';
import { attachResource } from '../../db/idempotency.ts';
import { countAvailable } from '../../db/isp-inventory.ts';
import {
  countLiveStockAlerts,
  deleteStockAlert,
  getStockAlert,
  insertStockAlert,
  listStockAlerts,
  type StockAlert,
} from '../../db/stock-alerts.ts';
import { normalizeCountry } from '../../domain/country.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { isCitySlug } from '../../domain/gazetteer.ts';
import { isAsn } from '../../domain/isp-pricing.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { availableAt, evaluateStockAlerts } from './evaluate-stock-alerts.ts';

/** Live alerts per account. */
export const MAX_ALERTS_PER_ACCOUNT = 100;
export const ALERT_MINIMUM_MAX = 1_000_000;

export interface CreateStockAlertCommand {
  accountId: string;
  country: string;
  city?: string | null;
  asn?: number | null;
  minimum: number;
  idem?: IdempotencyLink;
}

async function withAvailable(deps: Deps, alerts: StockAlert[]): Promise<StockAlertView[]> {
  if (alerts.length === 0) return [];
  const counts = await countAvailable(deps.db, { countries: [...new Set(alerts.map((a) => a.country))] });
  return alerts.map((a) => ({ ...a, available: availableAt(a, counts) }));
}

export async function createStockAlert(
  deps: Deps,
  cmd: CreateStockAlertCommand,
): Promise<Result<StockAlertView>> {
  const country = normalizeCountry(cmd.country);
  if (!country) {
    return err('invalid_request', `country "${cmd.country}" is not an ISO 3166 alpha-2 code`, {
      param: 'country',
    });
  }
  let city: string | null = null;
  if (cmd.city !== undefined && cmd.city !== null) {
    city = cmd.city.trim().toLowerCase();
    if (!isCitySlug(city)) {
      return err('invalid_request', 'city must be a lower-case slug without spaces, like newyork', {
        param: 'city',
      });
    }
  }
  const asn = cmd.asn ?? null;
  if (asn !== null && !isAsn(asn)) {
    return err('invalid_request', 'asn must be an integer from 1 to 4294967295', { param: 'asn' });
  }
  if (!Number.isSafeInteger(cmd.minimum) || cmd.minimum < 1 || cmd.minimum > ALERT_MINIMUM_MAX) {
    return err('invalid_request', `minimum must be an integer from 1 to ${ALERT_MINIMUM_MAX}`, {
      param: 'minimum',
    });
  }
  const now = await deps.clock.now();
  const created = await deps.db.tx(async (q): Promise<Result<StockAlert>> => {
    // a soft limit against abuse: two racing creations may both pass it, which is harmless
    if ((await countLiveStockAlerts(q, cmd.accountId)) >= MAX_ALERTS_PER_ACCOUNT) {
      return err(
        'invalid_request',
        `an account may have at most ${MAX_ALERTS_PER_ACCOUNT} alerts; delete one first`,
      );
    }
    const alert = await insertStockAlert(q, {
      id: deps.ids.next('alr'),
      accountId: cmd.accountId,
      country,
      city,
      asn,
      minimum: cmd.minimum,
      createdAt: now,
    });
    await evaluateStockAlerts(q, deps, [country], now);
    if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'stock_alert', alert.id);
    return ok((await getStockAlert(q, alert.id, cmd.accountId))!);
  });
  if (!created.ok) return created;
  const [view] = await withAvailable(deps, [created.value]);
  return ok(view!);
}

/** A live alert of the account; another account's (or a deleted one) is not_found. */
export async function findStockAlert(
  deps: Deps,
  accountId: string,
  id: string,
): Promise<Result<StockAlertView>> {
  const a = await getStockAlert(deps.db, id, accountId);
  if (!a) return err('not_found', `No such alert: ${id}`, { param: 'id' });
  const [view] = await withAvailable(deps, [a]);
  return ok(view!);
}

/** A page of live alerts, newest first: limit + 1 rows so the caller can tell has_more. */
export async function searchStockAlerts(
  deps: Deps,
  accountId: string,
  page: { limit: number; startingAfter?: string },
): Promise<Result<StockAlertView[]>> {
  const rows = await listStockAlerts(deps.db, accountId, { ...page, limit: page.limit + 1 });
  return ok(await withAvailable(deps, rows));
}

export async function removeStockAlert(
  deps: Deps,
  accountId: string,
  id: string,
): Promise<Result<StockAlert>> {
  const now = await deps.clock.now();
  const a = await deleteStockAlert(deps.db, id, accountId, now);
  if (!a) return err('not_found', `No such alert: ${id}`, { param: 'id' });
  return ok(a);
}
