/**
 * POST /v1/orders (and /quote) for ISP static IPs (SPEC §3, §5, §6): the stock is claimed in the
 * same transaction as the payment, so an order is paid and holds its IPs, or nothing happened.
 *
 * Balance-only orders pay in ONE transaction: lock the country's stock claims (see
 * db/isp-batches.ts), claim `quantity` IPs (FOR UPDATE SKIP LOCKED), debit the balance
 * (conditional update), write the order, the batch with its IPs, and enqueue the provisioning
 * job. A card pays the rest the usual way (card-payment.ts): the claim happens in the settle
 * transaction, and if the stock is gone by then settling is refused and the card refunded.
 *
 * IPs that orders already waiting for stock could use are kept for them (first come, first served,
 * see serve-wait-queue.ts): a new order neither claims nor counts them. Short stock follows
 * `on_shortage`:
 *  - fail (default): 422 insufficient_inventory with `available` (what the place has), nothing charged;
 *  - wait: paid, `waiting_inventory`, a waiting batch and a row in the wait queue (served by
 *    serve-wait-queue.ts when stock arrives);
 *  - substitute: the nearest place of the country that can deliver in full (domain/substitution.ts),
 *    flagged on the batch and in the order's details; it never costs more than the request
 *    (substitutedAmounts; when a card was charged for the dearer request, the difference stays on
 *    the balance). No such place: 422 insufficient_inventory.
 * Lock order: the country's stock lock first, then rows (the account here, orders in the
 * wait-queue run); cancellation takes the order, then the account, and never the stock lock. So
 * none of them can deadlock another.
 */
import { type Account, getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import {
  availableStockPlaces,
  type ClaimedIp,
  claimIps,
  countAvailableAt,
  insertBatch,
  insertWait,
  lockIspStock,
  type ReservedPlace,
  type StockPlaceFilter,
  type SubstitutionRecord,
  stockCityOrigin,
  unclaimIps,
  waitingPlaces,
} from '../../db/isp-batches.ts';
import { enqueueJob } from '../../db/jobs.ts';
import { insertOrder } from '../../db/orders.ts';
import type { Payment } from '../../db/payments.ts';
import { getMainSubuser, getSubuser, type Subuser } from '../../db/subusers.ts';
import { addMonths } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { lookupCity } from '../../domain/gazetteer.ts';
import type { IspPriceBook } from '../../domain/isp-pricing.ts';
import type { Order } from '../../domain/order.ts';
import { splitPayment } from '../../domain/payment-split.ts';
import { chooseSubstitute, type Substitute } from '../../domain/substitution.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { orderGate, type PlaceOrderCommand } from '../orders/place-order.ts';
import type { Quote, QuoteCheck } from '../orders/quote-order.ts';
import {
  draftVouchers,
  type OrderPaymentSettler,
  paidCause,
  payFromSources,
  takePayment,
} from '../payments/pay-from-sources.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import {
  amountsOf,
  buildIspOrder,
  type IspOrderInput,
  loadIspPriceBook,
  priceIspOrder,
  type ShortagePolicy,
  substitutedAmounts,
} from './price-isp-order.ts';

/** The job the provisioning worker runs for a batch whose IPs are allocated. */
export const PROVISION_JOB = 'provision_isp_batch';

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
}

export type IspPlaceCommand = Omit<PlaceOrderCommand, 'input'> & { input: IspOrderInput };

/** The subuser a batch is bound to: the one named (of this account), else the main one. */
async function resolveSubuser(q: Sql, accountId: string, id: string | undefined): Promise<Result<Subuser>> {
  const s = id === undefined ? await getMainSubuser(q, accountId) : await getSubuser(q, id, accountId);
  if (!s) return err('not_found', `No such subuser: ${id ?? '(main)'}`, { param: 'subuser' });
  if (s.status !== 'active') {
    return err('invalid_state', `subuser ${s.id} is disabled; enable it or bind the batch to another`, {
      param: 'subuser',
    });
  }
  return ok(s);
}

export interface Prepared {
  account: Account;
  book: IspPriceBook;
  draft: Order;
  req: IspRequest;
}

/** The reads and checks before any payment: account, gate, price, subuser. */
export async function prepare(
  deps: Deps,
  accountId: string,
  input: IspOrderInput,
  now: Date,
  opts: { gate: boolean },
): Promise<Result<Prepared>> {
  const [account, book] = await Promise.all([getAccount(deps.db, accountId), loadIspPriceBook(deps.db)]);
  if (!account) return err('not_found', 'no such account');
  if (opts.gate) {
    const gate = orderGate(account, 'isp');
    if (!gate.ok) return gate;
  }
  const priced = await priceIspOrder(deps.db, deps.ids, account.id, input, now, book);
  if (!priced.ok) return priced;
  const subuser = await resolveSubuser(deps.db, account.id, input.subuser);
  if (!subuser.ok) return subuser;
  return ok({
    account,
    book,
    draft: priced.value,
    req: {
      country: input.country,
      city: input.city ?? null,
      asn: input.asn ?? null,
      quantity: input.quantity,
      months: input.months ?? 1,
      subuserId: subuser.value.id,
      onShortage: input.onShortage ?? 'fail',
      autoRenew: input.autoRenew ?? false,
    },
  });
}

export async function placeIspOrder(deps: Deps, cmd: IspPlaceCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const prepared = await prepare(deps, cmd.accountId, cmd.input, now, { gate: true });
  if (!prepared.ok) return prepared;
  const { account, book, draft, req } = prepared.value;
  const vouchers = cmd.vouchers ?? [];

  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      account,
      order: draft,
      vouchers,
      now,
      idem: cmd.idem,
      draft: { order: draft, isp: req },
      // no card is charged for an order the stock cannot serve now (the settle step checks again)
      check: async () => {
        if (req.onShortage === 'wait') return ok(undefined);
        const outlook = await stockOutlook(deps.db, req);
        return outlook.outcome === 'insufficient' ? shortError(req, outlook.available) : ok(undefined);
      },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) =>
      card
        ? settleIspOrderPayment(deps, q, draft, card, cmd.idem, at)
        : fulfil(deps, q, { draft, req, book, vouchers, card: null, idem: cmd.idem, at }),
  );
}

function isIspRequest(x: unknown): x is IspRequest {
  const r = x as IspRequest | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.country === 'string' &&
    typeof r.quantity === 'number' &&
    typeof r.months === 'number' &&
    typeof r.subuserId === 'string' &&
    (r.onShortage === 'fail' || r.onShortage === 'wait' || r.onShortage === 'substitute')
  );
}

/**
 * Settles a card payment for an ISP order (also from crash recovery, through settleOrderPayment):
 * the card money enters the balance and the order is paid from it and gets its stock, in the
 * settling transaction. Refused (and the card refunded by the caller) when the stock or the
 * balance is no longer there.
 */
export const settleIspOrderPayment: OrderPaymentSettler = async (deps, q, order, payment, idem, at) => {
  const req = (payment.draft as { isp?: unknown } | null)?.isp;
  if (!isIspRequest(req)) return err('invalid_state', `payment ${payment.id} has no ISP order to settle`);
  await lockIspStock(q, req.country);
  const account = await getAccount(q, order.accountId, { forUpdate: true });
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, 'isp');
  if (!gate.ok) return gate;
  const book = await loadIspPriceBook(q);
  const vouchers = draftVouchers(payment);
  return fulfil(deps, q, { draft: order, req, book, vouchers, card: payment, idem, at, locked: true });
};

interface Claimed {
  kind: 'claimed';
  ips: ClaimedIp[];
  city: string | null;
  asn: number | null;
  substitute: Substitute | null;
}

type Allocation = Claimed | { kind: 'wait' } | { kind: 'short'; available: number };

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
      ? substitutedAmounts(p.book, amountsOf(draft), {
          country: req.country,
          asn: sub.asn,
          quantity: req.quantity,
          months: req.months,
        })
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

/** The substitute for a request its exact place cannot serve, or null (read-only). */
async function findSubstitute(
  q: Sql,
  req: IspRequest,
  reserved: readonly ReservedPlace[],
): Promise<Substitute | null> {
  const places = (await availableStockPlaces(q, req.country)).filter((p) => !isReserved(p, reserved));
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

/**
 * Claims the order's IPs under the country's stock lock, following its shortage policy. IPs that
 * orders already waiting could use are theirs (first come, first served): never claimed here.
 */
export async function allocate(q: Sql, req: IspRequest, batchId: string, at: Date): Promise<Allocation> {
  const reserved = await waitingPlaces(q, req.country);
  const claim = (f: StockPlaceFilter) =>
    claimIps(q, { ...f, batchId, quantity: req.quantity, at, exclude: reserved });
  const ips = await claim(exactPlace(req));
  if (ips.length === req.quantity)
    return { kind: 'claimed', ips, city: req.city, asn: req.asn, substitute: null };
  await unclaimIps(
    q,
    batchId,
    ips.map((i) => i.id),
    at,
  );
  if (req.onShortage === 'wait') return { kind: 'wait' };
  if (req.onShortage === 'substitute') {
    const sub = await findSubstitute(q, req, reserved);
    if (sub) {
      const got = await claim({ country: req.country, city: sub.city, asn: sub.asn });
      if (got.length === req.quantity)
        return { kind: 'claimed', ips: got, city: sub.city, asn: sub.asn, substitute: sub };
      await unclaimIps(
        q,
        batchId,
        got.map((i) => i.id),
        at,
      );
    }
  }
  return { kind: 'short', available: ips.length };
}

export function substitutionRecord(req: IspRequest, sub: Substitute): SubstitutionRecord {
  return {
    requested: { city: req.city, asn: req.asn },
    delivered: { city: sub.city, asn: sub.asn },
    reason: sub.reason,
    distance_km: sub.distanceKm,
  };
}

/**
 * Inside the paying transaction: claim the stock, take the money (the card's first when it paid
 * a part), write the order, the batch and its IPs, and queue what comes next. An error return
 * means the caller must roll back.
 */
async function fulfil(
  deps: Deps,
  q: Sql,
  p: {
    draft: Order;
    req: IspRequest;
    book: IspPriceBook;
    vouchers: readonly string[];
    card: Payment | null;
    idem: IdempotencyLink | undefined;
    at: Date;
    /** the country's stock lock is already held */
    locked?: boolean;
  },
): Promise<Result<Order>> {
  const { draft, req, at } = p;
  const batchId = draft.details.batch_id as string;
  if (!p.locked) await lockIspStock(q, req.country);
  const alloc = await allocate(q, req, batchId, at);
  if (alloc.kind === 'short') return shortError(req, alloc.available);

  const claimed = alloc.kind === 'claimed' ? alloc : null;
  const expiresAt = claimed ? addMonths(at, req.months) : null;
  const order = allocatedOrder({
    draft,
    req,
    book: p.book,
    claimed,
    term: expiresAt ? { startsAt: at, expiresAt } : null,
  });
  const substitution = claimed?.substitute ? substitutionRecord(req, claimed.substitute) : null;

  const paid = await takePayment(deps, q, { order, vouchers: p.vouchers, card: p.card, at });
  if (!paid.ok) return paid;
  await insertOrder(q, paid.value, paidCause(paid.value, p.card !== null));
  await insertBatch(
    q,
    {
      id: batchId,
      accountId: order.accountId,
      orderId: order.id,
      subuserId: req.subuserId,
      country: req.country,
      city: order.details.city as string | null,
      asn: order.details.asn as number | null,
      quantity: req.quantity,
      months: req.months,
      status: claimed ? 'provisioning' : 'waiting_inventory',
      autoRenew: req.autoRenew,
      substitution,
      periodStartedAt: claimed ? at : null,
      expiresAt,
      at,
    },
    claimed ? claimed.ips.map((i) => i.id) : [],
  );
  if (claimed) {
    await enqueueProvisioning(deps, q, batchId, req.country, at);
  } else {
    await insertWait(q, {
      orderId: order.id,
      batchId,
      accountId: order.accountId,
      country: req.country,
      city: req.city,
      asn: req.asn,
      quantity: req.quantity,
      queuedAt: at,
    });
  }
  if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
  await emitOrderPaidEvents(q, deps, paid.value, at);
  return ok(paid.value);
}

/** Queues the provisioning of a batch whose IPs are allocated, after the provisioner's delay. */
export async function enqueueProvisioning(
  deps: Deps,
  q: Sql,
  batchId: string,
  country: string,
  at: Date,
): Promise<void> {
  await enqueueJob(q, {
    kind: PROVISION_JOB,
    payload: { batch_id: batchId },
    runAt: new Date(at.getTime() + deps.provisioner.delaySeconds(country) * 1000),
    dedupeKey: `${PROVISION_JOB}:${batchId}`,
    now: at,
  });
}

// ---- quote ----

export type StockOutcome = 'provisioning' | 'waiting_inventory' | 'substitute' | 'insufficient';

/** What the stock would do with an order now (a quote shows it; nothing is taken). */
export interface StockPreview {
  /** available at the requested place (not counting IPs kept for waiting orders) */
  available: number;
  outcome: StockOutcome;
  substitution: SubstitutionRecord | null;
}

async function stockOutlook(
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

/**
 * POST /v1/orders/quote for ISP: the envelope the order would get (priced at the place it would
 * be delivered from), its payment split, the checks that would fail, and what the stock would do.
 */
export async function quoteIspOrder(
  deps: Deps,
  cmd: { accountId: string; input: IspOrderInput },
): Promise<Result<Quote>> {
  const now = await deps.clock.now();
  const prepared = await prepare(deps, cmd.accountId, cmd.input, now, { gate: false });
  if (!prepared.ok) return prepared;
  const { account, book, draft, req } = prepared.value;
  const checks: QuoteCheck[] = [];
  const gate = orderGate(account, 'isp');
  if (!gate.ok) checks.push({ code: gate.error.code, message: gate.error.message });

  const outlook = await stockOutlook(deps.db, req);
  if (outlook.outcome === 'insufficient') {
    const e = shortError(req, outlook.available).error;
    checks.push({ code: e.code, message: e.message });
  }
  const sub = outlook.substitute;
  const priced = sub
    ? buildIspOrder({
        orderId: draft.id,
        lineId: draft.lines[0]!.id,
        batchId: draft.details.batch_id as string,
        accountId: account.id,
        country: req.country,
        city: sub.city,
        asn: sub.asn,
        quantity: req.quantity,
        months: req.months,
        amounts: substitutedAmounts(book, amountsOf(draft), {
          country: req.country,
          asn: sub.asn,
          quantity: req.quantity,
          months: req.months,
        }),
        status: 'provisioning',
        startsAt: now,
        expiresAt: addMonths(now, req.months),
        substitution: outlook.substitution,
        createdAt: now,
      })
    : draft;
  if (outlook.outcome === 'waiting_inventory') {
    priced.details = { ...priced.details, expires_at: null };
    priced.lines = priced.lines.map((l) => ({ ...l, startsAt: null, endsAt: null }));
  }
  const order: Order = {
    ...priced,
    status: 'pending_payment',
    paymentStatus: 'pending_payment',
    paid: 0,
    lines: priced.lines.map((l) => ({ ...l, status: 'pending_payment', paid: 0 })),
  };
  const split = splitPayment({ payable: order.payable, balance: account.balanceCents });
  if (split.fromCard > 0 && !account.defaultPaymentMethodId) {
    checks.push({
      code: 'insufficient_balance',
      message: 'The balance does not cover this order and there is no default payment method',
    });
  }
  return ok({
    order,
    payment: {
      fromVoucher: 0,
      fromBalance: split.fromBalance,
      fromCard: split.fromCard,
      arrearsCovered: split.arrearsCovered,
    },
    checks,
    stock: { available: outlook.available, outcome: outlook.outcome, substitution: outlook.substitution },
  });
}
