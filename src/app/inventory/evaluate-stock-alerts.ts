/**
 * Stock alerts fire (SPEC §6): an armed alert whose place has at least its minimum available
 * fires once — a mail through the outbox, and the alert disarms; a disarmed alert whose place
 * dropped below the minimum re-arms. Call it inside the transaction that changed the stock of
 * `countries`: imports and releases or expiries that return IPs to stock (pass what they added
 * as `added`), and allocations that take IPs (so alerts re-arm as soon as stock drops). It takes
 * the watched countries' stock locks: a caller that also locks batches or orders takes the stock
 * lock first (the lock order of every ISP flow).
 *
 * A fired alert also raises an `inventory.available` event (the alert as GET /v1/alerts/{id}
 * shows it right after firing), in the same transaction.
 */
import type { Sql } from '../../db/client.ts';
import { countAvailable } from '../../db/isp-inventory.ts';
import { lockIspStock } from '../../db/isp-stock.ts';
import {
  fireStockAlerts,
  listLiveAlertsForCountries,
  rearmStockAlerts,
  type WatchedAlert,
} from '../../db/stock-alerts.ts';
import type { Deps } from '../deps.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { alertFiredEvent, type EventInput, emitEvents } from '../webhooks/emit-event.ts';

export interface AlertPlace {
  country: string;
  city: string | null;
  asn: number | null;
}

/** "us / newyork / AS7922", "br / any city / any ASN" */
function placeLabel(p: AlertPlace): string {
  return `${p.country} / ${p.city ?? 'any city'} / ${p.asn === null ? 'any ASN' : `AS${p.asn}`}`;
}

/** The available count of a place from per-(country, city, ASN) counts. */
export function availableAt(
  p: AlertPlace,
  counts: readonly { country: string; city: string; asn: number; available: number }[],
): number {
  let n = 0;
  for (const c of counts) {
    if (c.country !== p.country) continue;
    if (p.city !== null && c.city !== p.city) continue;
    if (p.asn !== null && c.asn !== p.asn) continue;
    n += c.available;
  }
  return n;
}

export interface AlertEvaluation {
  fired: string[];
  rearmed: string[];
}

/** IPs a change just made available, by place: lets the evaluation see the stock before it. */
export type AddedStock = readonly { country: string; city: string; asn: number; available: number }[];

/**
 * Evaluates the live alerts on `countries` against the available stock now (inside `q`):
 * - a disarmed alert re-arms when its place has fewer than the minimum — now, or before the
 *   `added` IPs came in (stock taken by a path that did not evaluate, then refilled by this one,
 *   did drop below the minimum in between);
 * - an armed (or just re-armed) alert fires when its place has at least the minimum: it
 *   disarms and one mail is queued.
 */
export async function evaluateStockAlerts(
  q: Sql,
  deps: Pick<Deps, 'ids'>,
  countries: readonly string[],
  now: Date,
  added: AddedStock = [],
): Promise<AlertEvaluation> {
  const unique = [...new Set(countries)];
  const alerts = await listLiveAlertsForCountries(q, unique);
  if (alerts.length === 0) return { fired: [], rearmed: [] };
  const watched = [...new Set(alerts.map((a) => a.country))].sort();
  // the countries' stock locks (held to commit, taken in a fixed order): evaluations of a country
  // run one after another, each counting what the one before committed. Without them two imports
  // at once could each count only their own new IPs and both miss a minimum they reach together.
  for (const country of watched) await lockIspStock(q, country);
  const counts = await countAvailable(q, { countries: watched });
  const toFire: WatchedAlert[] = [];
  const toRearm: WatchedAlert[] = [];
  const availableOf = new Map<string, number>();
  for (const a of alerts) {
    const available = availableAt(a, counts);
    const before = available - availableAt(a, added);
    availableOf.set(a.id, available);
    const armed = a.armed || before < a.minimum;
    if (armed && available >= a.minimum) toFire.push(a);
    else if (!a.armed && armed) toRearm.push(a);
  }
  const fired = await fireStockAlerts(q, toFire, now);
  const events = new Map<string, EventInput[]>();
  for (const a of toFire) {
    if (!fired.has(a.id)) continue;
    const available = availableOf.get(a.id)!;
    // the alert as it is now: fired, disarmed, with the stock that fired it
    const event = alertFiredEvent({ ...a, armed: false, lastFiredAt: now, available }, now);
    events.set(a.accountId, [...(events.get(a.accountId) ?? []), event]);
    await queueMail(
      q,
      deps,
      { accountId: a.accountId, email: a.email },
      'stock_alert',
      stockAlertMail(a, available),
      now,
    );
  }
  for (const own of events.values()) await emitEvents(q, deps, own);
  await rearmStockAlerts(q, toRearm);
  return { fired: toFire.filter((a) => fired.has(a.id)).map((a) => a.id), rearmed: toRearm.map((a) => a.id) };
}

/** The mail of a fired stock alert. */
function stockAlertMail(a: WatchedAlert, available: number): Mail {
  const place = placeLabel(a);
  return {
    subject: `Stock alert: ${available} ISP IPs available in ${place}`,
    body: [
      'Hello,',
      '',
      `Your stock alert ${a.id} has fired: ${available} ISP static IPs are available in ${place},`,
      `at or above your minimum of ${a.minimum}.`,
      '',
      'Order them in the console (ISP → Order new IPs) or through the API with POST /v1/orders',
      `{"product": "isp", "country": "${a.country}"${a.city ? `, "city": "${a.city}"` : ''}${a.asn !== null ? `, "asn": ${a.asn}` : ''}, "quantity": …}.`,
      'Stock is not reserved for you: other customers may buy it first.',
      '',
      `This alert fires once; it re-arms when the stock drops below ${a.minimum} again.`,
      'Manage your alerts in Settings → Alerts or with GET /v1/alerts.',
    ].join('\n'),
  };
}
