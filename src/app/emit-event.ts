/**
 * Emitting webhook events (SPEC §1). `emitEvent` runs INSIDE the caller's transaction, next to
 * the change it reports, so an event exists exactly when its cause committed: it writes the event
 * and one pending delivery per enabled endpoint that receives it — the account's own endpoints and
 * the operators' (which receive every account's events). The worker (deliver-webhooks.ts) sends
 * them. When no endpoint receives the event nothing is written and it costs one indexed SELECT.
 *
 * The event types, and who emits each (the payload's `data.object` is the API object named):
 *
 * | type                 | data.object     | emitted when                                                    |
 * | -------------------- | --------------- | --------------------------------------------------------------- |
 * | `order.paid`         | order           | an order's payment_status becomes `paid` (emitOrderPaidEvents)  |
 * | `order.completed`    | order           | an order's status becomes `completed` (bandwidth: with paid)    |
 * | `order.cancelled`    | order           | a pending_payment order is cancelled (customer or system)       |
 * | `order.refunded`     | order           | a refund finishes: payment_status `refunded`/`partially_refunded` |
 * | `isp_batch.ready`    | isp_batch       | the provisioner finished a batch (SPEC §6)                      |
 * | `isp_batch.expiring` | isp_batch       | the 7-day and 1-day expiry reminders                            |
 * | `isp_batch.expired`  | isp_batch       | a batch passed `expires_at` without renewal                     |
 * | `inventory.available`| stock_alert     | a stock alert fired (stock reached the alert's minimum)         |
 * | `payment.failed`     | payment         | a card charge was declined (auto top-up, auto-renew, pay later) |
 *
 * Wired today: `order.paid` and `order.completed` for bandwidth orders, in place-order.ts
 * (payFromBalance and writePaidOrder). For any other order path call `emitOrderPaidEvents` (or
 * `emitEvent` with presentOrder(order)) in the transaction that pays or completes the order.
 * An order that is paid now and completed later (ISP: `provisioning` → `completed`) gets
 * `order.paid` at payment and `order.completed` when it completes.
 *
 * `data` is the object as the API presents it (src/http/present.ts), serialized by the API's JSON
 * writer so amounts keep their two decimals: the events are part of the public API, so they are
 * rendered by its presenters (the one place app/ imports from http/, on purpose).
 */
import type { Sql } from '../db/client.ts';
import { hasSubscribers, insertEventsWithDeliveries, subscribedEndpoints } from '../db/webhooks.ts';
import type { Order } from '../domain/order.ts';
import { stringify } from '../http/json.ts';
import { presentOrder } from '../http/present.ts';
import type { Ids } from '../ids.ts';

export const EVENT_TYPES = [
  'order.paid',
  'order.completed',
  'order.cancelled',
  'order.refunded',
  'isp_batch.ready',
  'isp_batch.expiring',
  'isp_batch.expired',
  'inventory.available',
  'payment.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** A delivery is retried for this long after its event (SPEC §1: "for up to 3 days"). */
export const RETRY_WINDOW_MS = 3 * 24 * 3600 * 1000;

export interface EventInput {
  /** the account the event is about; null for an operators-only event */
  accountId: string | null;
  type: EventType;
  /** the API object (presented: usd()/price() amounts allowed) */
  data: unknown;
  /** when it happened (the injected clock) */
  at: Date;
}

/**
 * Writes the events and their deliveries in the caller's transaction. Returns the ids of the
 * events written (an event no endpoint receives is not written). Two statements when some endpoint
 * listens (find the endpoints, insert everything), one when none does.
 */
export async function emitEvents(
  q: Sql,
  deps: { ids: Ids },
  events: readonly EventInput[],
): Promise<string[]> {
  if (events.length === 0) return [];
  const accounts = new Set(events.map((e) => e.accountId));
  if (accounts.size > 1) throw new Error('emitEvents: one account per call');
  const accountId = events[0]!.accountId;
  const endpoints = await subscribedEndpoints(
    q,
    accountId,
    events.map((e) => e.type),
  );
  if (endpoints.length === 0) return [];
  const rows = [];
  const deliveries = [];
  for (const e of events) {
    const to = endpoints.filter((ep) => ep.events.includes('*') || ep.events.includes(e.type));
    if (to.length === 0) continue;
    const id = deps.ids.next('evt');
    rows.push({ id, accountId: e.accountId, type: e.type, dataJson: stringify(e.data), at: e.at });
    for (const ep of to) deliveries.push({ id: deps.ids.next('wd'), eventId: id, endpointId: ep.id });
  }
  if (rows.length === 0) return [];
  const latest = Math.max(...events.map((e) => e.at.getTime()));
  await insertEventsWithDeliveries(q, rows, deliveries, new Date(latest + RETRY_WINDOW_MS));
  return rows.map((r) => r.id);
}

/** One event: its id, or null when no endpoint receives it (nothing written). */
export async function emitEvent(q: Sql, deps: { ids: Ids }, event: EventInput): Promise<string | null> {
  const [id] = await emitEvents(q, deps, [event]);
  return id ?? null;
}

/** The events a just-paid order raises: `order.paid`, and `order.completed` if it completed. */
export function orderPaidEventTypes(order: Order): EventType[] {
  const types: EventType[] = [];
  if (order.paymentStatus === 'paid') types.push('order.paid');
  if (order.status === 'completed') types.push('order.completed');
  return types;
}

/** Emits `order.paid` (and `order.completed` when it is) for an order just paid, in `q`'s transaction. */
export async function emitOrderPaidEvents(
  q: Sql,
  deps: { ids: Ids },
  order: Order,
  at: Date,
): Promise<string[]> {
  const data = presentOrder(order);
  return emitEvents(
    q,
    deps,
    orderPaidEventTypes(order).map((type) => ({ accountId: order.accountId, type, data, at })),
  );
}

/**
 * Whether any endpoint would receive these event types for the account (its own or an
 * operator's): the hot path's cheap probe before it opens a transaction to emit (one index probe).
 */
export function wantsEvents(q: Sql, accountId: string, types: readonly EventType[]): Promise<boolean> {
  return hasSubscribers(q, accountId, types);
}
