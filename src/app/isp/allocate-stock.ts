/**
 * Claiming an ISP order's IPs (SPEC §6): row locks on the IPs taken, the country's stock lock only
 * when the stock comes up short (see allocateStock). IPs that orders already
 * waiting for stock could use are kept for them (first come, first served, see
 * serve-wait-queue.ts): a new order neither claims nor counts them. Short stock follows
 * `on_shortage`: fail, wait, or substitute the nearest place of the country that can deliver in
 * full (domain/substitution.ts), never dearer than the request (substitutedAmounts).
 */
import type { Sql } from '../../db/client.ts';
import type { SubstitutionRecord } from '../../db/isp-new-batches.ts';
import {
  availableStockPlaces,
  type ClaimedIp,
  claimFreeIps,
  claimIpsExact,
  countAvailableAt,
  lockIspStock,
  type ReservedPlace,
  type StockPlaceFilter,
  stockCityOrigin,
} from '../../db/isp-stock.ts';
import { waitingPlaces } from '../../db/isp-wait-queue.ts';
import { err } from '../../domain/errors.ts';
import { lookupCity } from '../../domain/gazetteer.ts';
import type { IspPriceBook } from '../../domain/isp-pricing.ts';
import type { Order } from '../../domain/order.ts';
import { chooseSubstitute, type Substitute } from '../../domain/substitution.ts';
import { amountsOf, buildIspOrder, type ShortagePolicy, substitutedAmounts } from './price-isp-order.ts';

/** What an ISP order asks for, beyond its price: kept in a card payment's draft for settling. */
export interface IspRequest {
  country: string;
  city: string | null;
  asn: number | null;
  quantity: number;
  months: number;
  subuserId: string;
  onShortage: ShortagePolicy;
  autoRenew: boolean;
  /** the account's ISP contract discount (basis points) the draft was priced with; a substitute gets it too */
  contractBp?: number;
}

export interface Claimed {
  kind: 'claimed';
  ips: ClaimedIp[];
  city: string | null;
  asn: number | null;
  substitute: Substitute | null;
}

export type Allocation = Claimed | { kind: 'wait' } | { kind: 'short'; available: number };

/**
 * A draft ISP order as its allocation makes it: the place delivered (a substitute's, at its
 * price), provisioning when its IPs were claimed (else waiting_inventory), and the term if known.
 */
export function allocatedOrder(p: {
  draft: Order;
  req: IspRequest;
  book: IspPriceBook;
  claimed: Claimed | null;
  term: { startsAt: Date; expiresAt: Date } | null;
}): Order {
  const { draft, req, claimed } = p;
  const sub = claimed?.substitute ?? null;
  return buildIspOrder({
    orderId: draft.id,
    lineId: draft.lines[0]!.id,
    batchId: draft.details.batch_id as string,
    accountId: draft.accountId,
    country: req.country,
    city: claimed ? claimed.city : req.city,
    asn: claimed ? claimed.asn : req.asn,
    quantity: req.quantity,
    months: req.months,
    amounts: sub
      ? substitutedAmounts(
          p.book,
          amountsOf(draft),
          {
            country: req.country,
            asn: sub.asn,
            quantity: req.quantity,
            months: req.months,
          },
          req.contractBp ?? 0,
        )
      : amountsOf(draft),
    status: claimed ? 'provisioning' : 'waiting_inventory',
    startsAt: p.term?.startsAt ?? null,
    expiresAt: p.term?.expiresAt ?? null,
    substitution: sub ? substitutionRecord(req, sub) : null,
    createdAt: draft.createdAt,
  });
}

export function shortError(req: IspRequest, available: number) {
  const where = [req.country, req.city, req.asn].filter((x) => x !== null).join('/');
  return err(
    'insufficient_inventory',
    `Only ${available} IPs are available in ${where}; ${req.quantity} asked`,
    {
      param: 'quantity',
      detail: { available, requested: req.quantity },
    },
  );
}

/** Whether a place of stock (city × ASN) is one of the reserved places. */
function isReserved(place: { city: string; asn: number }, reserved: readonly ReservedPlace[]): boolean {
  return reserved.some(
    (r) => (r.city === null || r.city === place.city) && (r.asn === null || r.asn === place.asn),
  );
}

/**
 * The substitute for a request its exact place cannot serve, or null (read-only). `tried`: places
 * already found short (leave them out).
 */
async function findSubstitute(
  q: Sql,
  req: IspRequest,
  reserved: readonly ReservedPlace[],
  tried: readonly ReservedPlace[] = [],
): Promise<Substitute | null> {
  const places = (await availableStockPlaces(q, req.country)).filter(
    (p) => !isReserved(p, reserved) && !isReserved(p, tried),
  );
  const origin =
    req.city !== null && !lookupCity(req.country, req.city)
      ? await stockCityOrigin(q, req.country, req.city)
      : null;
  return chooseSubstitute(
    {
      country: req.country,
      ...(req.city !== null ? { city: req.city } : {}),
      ...(req.asn !== null ? { asn: req.asn } : {}),
      quantity: req.quantity,
    },
    places,
    origin ?? undefined,
  );
}

function exactPlace(req: IspRequest): StockPlaceFilter {
  return { country: req.country, city: req.city, asn: req.asn };
}

/** The savepoint a fast claim is rolled back to when it comes up short (its row locks go with it). */
const FAST_CLAIM = 'isp_fast_claim';

/**
 * Claims the order's IPs, following its shortage policy, as the first thing its transaction
 * locks (the caller holds no IP row, and no account row the claims in flight may wait for). IPs
 * that orders already waiting could use are theirs (first come, first served): never claimed here.
 *
 *  1. Fast: the exact place's free IPs, `FOR UPDATE SKIP LOCKED` (claimFreeIps), behind a
 *     savepoint. No wider lock: orders of one place run side by side, each on its own rows.
 *  2. Short: the partial claim is rolled back to the savepoint (its row locks released, so two
 *     short orders cannot wait for each other: each then holds no IP row), and the exact claim
 *     (claimIpsExact) waits for the claims in flight before it takes all or nothing. Short then
 *     really means short; it follows `on_shortage`. An order that may wait takes the country's
 *     stock lock first: its queue row must not slip past a run of serve-wait-queue (which holds
 *     the same lock) that would have served it. Fail and substitute decide on rows alone.
 */
export async function allocateStock(q: Sql, req: IspRequest, batchId: string, at: Date): Promise<Allocation> {
  const claim = { batchId, quantity: req.quantity, at };
  await q.query(`SAVEPOINT ${FAST_CLAIM}`);
  const ips = await claimFreeIps(q, { ...exactPlace(req), ...claim });
  if (ips.length === req.quantity)
    return { kind: 'claimed', ips, city: req.city, asn: req.asn, substitute: null };
  await q.query(`ROLLBACK TO SAVEPOINT ${FAST_CLAIM}`);

  if (req.onShortage === 'wait') await lockIspStock(q, req.country);
  const exact = await claimIpsExact(q, { ...exactPlace(req), ...claim });
  if (exact.ips.length === req.quantity)
    return { kind: 'claimed', ips: exact.ips, city: req.city, asn: req.asn, substitute: null };
  if (req.onShortage === 'wait') return { kind: 'wait' };
  if (req.onShortage === 'substitute') {
    // a short exact claim still holds the rows it counted: let them go before waiting for another
    // place's rows (two orders substituting each other's places would otherwise wait for each other)
    await q.query(`ROLLBACK TO SAVEPOINT ${FAST_CLAIM}`);
    const reserved = await waitingPlaces(q, req.country);
    // the counts a substitute is chosen by may include claims in flight: a place found short by
    // the exact claim is left out and the next nearest tried
    const tried: ReservedPlace[] = [];
    for (
      let sub = await findSubstitute(q, req, reserved);
      sub;
      sub = await findSubstitute(q, req, reserved, tried)
    ) {
      const got = await claimIpsExact(q, { country: req.country, city: sub.city, asn: sub.asn, ...claim });
      if (got.ips.length === req.quantity)
        return { kind: 'claimed', ips: got.ips, city: sub.city, asn: sub.asn, substitute: sub };
      await q.query(`ROLLBACK TO SAVEPOINT ${FAST_CLAIM}`);
      tried.push({ city: sub.city, asn: sub.asn });
    }
  }
  return { kind: 'short', available: exact.available };
}

export function substitutionRecord(req: IspRequest, sub: Substitute): SubstitutionRecord {
  return {
    requested: { city: req.city, asn: req.asn },
    delivered: { city: sub.city, asn: sub.asn },
    reason: sub.reason,
    distance_km: sub.distanceKm,
  };
}

export type StockOutcome = 'provisioning' | 'waiting_inventory' | 'substitute' | 'insufficient';

/** What the stock would do with an order now (a quote shows it; nothing is taken). */
export interface StockPreview {
  /** available at the requested place (not counting IPs kept for waiting orders) */
  available: number;
  outcome: StockOutcome;
  substitution: SubstitutionRecord | null;
}

export async function stockOutlook(
  q: Sql,
  req: IspRequest,
): Promise<StockPreview & { substitute: Substitute | null }> {
  const reserved = await waitingPlaces(q, req.country);
  const available = await countAvailableAt(q, exactPlace(req), reserved);
  const none = { available, substitution: null, substitute: null };
  if (available >= req.quantity) return { ...none, outcome: 'provisioning' };
  if (req.onShortage === 'wait') return { ...none, outcome: 'waiting_inventory' };
  if (req.onShortage === 'substitute') {
    const sub = await findSubstitute(q, req, reserved);
    if (sub)
      return {
        available,
        outcome: 'substitute',
        substitution: substitutionRecord(req, sub),
        substitute: sub,
      };
  }
  return { ...none, outcome: 'insufficient' };
}
