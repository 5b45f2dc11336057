/**
 * Emitting webhook events (SPEC §1). `emitEvent` runs INSIDE the caller's transaction, next to
 * the change it reports, so an event exists exactly when its cause committed: it writes the event
 * and one pending delivery per enabled endpoint that receives it — the account's own endpoints and
 * the operators' (which receive every account's events). The worker (deliver-webhooks.ts) sends
 * them. When no endpoint receives the event nothing is written and it costs one indexed SELECT.
 *
 * The event types, and who emits each (the payload's `data.object` is the API object named), all
 * in the transaction that makes the change:
 *
 * | type                 | data.object | emitted when, by                                              | state  |
 * | -------------------- | ----------- | ------------------------------------------------------------- | ------ |
 * | `order.paid`         | order       | an order's payment_status becomes `paid` (emitOrderPaidEvents): | wired  |
 * |                      |             | bandwidth (place-order.ts), ISP renew (renew-batch.ts), ISP     |        |
 * |                      |             | replacement fee `change` order (replace-ip.ts)                  |        |
 * | `order.completed`    | order       | an order's status becomes `completed`: with `order.paid` for    | wired  |
 * |                      |             | the orders above; an ISP order when its batch is ready          |        |
 * |                      |             | (provision-isp-batch.ts) or released while provisioning         |        |
 * |                      |             | (release-batch.ts)                                              |        |
 * | `order.cancelled`    | order       | a pending_payment order is cancelled (customer or system)     | other  |
 * | `order.refunded`     | order       | a refund finishes: payment_status `refunded`/`partially_refunded` | other |
 * | `isp_batch.ready`    | isp_batch   | the provisioner finished a batch (provision-isp-batch.ts)       | wired  |
 * | `isp_batch.expiring` | isp_batch   | the 7-day and the 1-day expiry reminder (sweep-isp-expiry.ts)    | wired  |
 * | `isp_batch.expired`  | isp_batch   | a batch passed `expires_at` without renewal (sweep-isp-expiry.ts)| wired  |
 * | `inventory.available`| stock_alert | a stock alert fired (evaluate-stock-alerts.ts): the alert as    | wired  |
 * |                      |             | it is after firing (armed false, `available` = the stock)       |        |
 * | `payment.failed`     | payment     | a card payment became `failed` (charge-then-settle.ts): a decline on | wired  |
 * |                      |             | any card path (pay-now order, top-up, auto-renew, renew), and   |        |
 * |                      |             | recovery marking one failed (declined or never charged)         |        |
 *
 * `other`: wired by other use cases (ISP `order.paid` at payment in place-isp-order.ts, pay-later
 * cancellation, refunds), see their files. Not evented: the zero-amount `unsubscribe` order of a
 * release, a batch released at the end of its grace, a failed provisioning, a voided payment.
 *
 * `payment.failed` on the pay-now API flow: the order is refused (`409 insufficient_balance`) and
 * nothing of it stays (no order, no money, no stock), but the payments row stays, `failed`, so the
 * event is emitted and its `order_id` names the order that was not created. An order that is paid
 * now and completed later (ISP: `provisioning` → `completed`) gets `order.paid` at payment and
 * `order.completed` when it completes.
 *
 * `data` is the object as the API presents it (the presenters of src/contract/, shared with the
 * routes and the CLI), serialized by the API's JSON writer so amounts keep their two decimals: the
 * events are part of the public API and say exactly what the routes say. Credentials are
 * left out: an `isp_batch` has no `password` in an event (presentBatchEvent), since events go to
 * any URL an endpoint names and are kept in the outbox for 3 days.
 */

import { presentBatchEvent } from '../../contract/isp-batch.ts';
import { stringify } from '../../contract/json.ts';
import { presentOrder } from '../../contract/order.ts';
import { presentPayment } from '../../contract/payment.ts';
import type { StockAlertView } from '../../contract/stock-alert.ts';
import { presentAlert } from '../../contract/stock-alert.ts';
import type { Sql } from '../../db/client.ts';
import { getOrder } from '../../db/orders.ts';
import type { Payment } from '../../db/payments.ts';
import { hasSubscribers, insertEventsWithDeliveries, subscribedEndpoints } from '../../db/webhooks.ts';
import type { Order } from '../../domain/order.ts';
import type { Ids } from '../../ids.ts';
import { batchView } from '../isp/batch-view.ts';

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

/**
 * Emits the events `build` makes, building them (reading what their data needs) only when some
 * endpoint receives one of `types` for the account: one index probe when none does.
 */
export async function emitIfWanted(
  q: Sql,
  deps: { ids: Ids },
  accountId: string,
  types: readonly EventType[],
  build: () => Promise<EventInput[]>,
): Promise<string[]> {
  if (types.length === 0 || !(await wantsEvents(q, accountId, types))) return [];
  return emitEvents(q, deps, await build());
}

/**
 * An `isp_batch.*` event: the batch as the API presents it, read through `q` (its own writes),
 * without its proxy password (presentBatchEvent: events carry no credential).
 */
export async function batchEvent(
  q: Sql,
  type: 'isp_batch.ready' | 'isp_batch.expiring' | 'isp_batch.expired',
  batch: { id: string; accountId: string },
  at: Date,
): Promise<EventInput> {
  const view = await batchView(q, batch.id, batch.accountId, at);
  if (!view) throw new Error(`batchEvent: no batch ${batch.id}`);
  return { accountId: batch.accountId, type, data: presentBatchEvent(view), at };
}

/** Emits one `isp_batch.*` event per batch (batches of several accounts allowed), in `q`'s transaction. */
export async function emitBatchEvents(
  q: Sql,
  deps: { ids: Ids },
  type: 'isp_batch.ready' | 'isp_batch.expiring' | 'isp_batch.expired',
  batches: readonly { id: string; accountId: string }[],
  at: Date,
): Promise<string[]> {
  const byAccount = new Map<string, { id: string; accountId: string }[]>();
  for (const b of batches) byAccount.set(b.accountId, [...(byAccount.get(b.accountId) ?? []), b]);
  const ids: string[] = [];
  for (const [accountId, own] of byAccount) {
    const emitted = await emitIfWanted(q, deps, accountId, [type], async () => {
      const events: EventInput[] = [];
      for (const b of own) events.push(await batchEvent(q, type, b, at));
      return events;
    });
    ids.push(...emitted);
  }
  return ids;
}

/** An `order.*` event: the order as it now is, read through `q` (its own writes). */
export async function orderEvent(
  q: Sql,
  type: EventType,
  order: { id: string; accountId: string },
  at: Date,
): Promise<EventInput> {
  const o = await getOrder(q, order.id, order.accountId);
  if (!o) throw new Error(`orderEvent: no order ${order.id}`);
  return { accountId: o.accountId, type, data: presentOrder(o), at };
}

/**
 * `order.completed` for an order that completes after it was paid (an ISP order whose batch is
 * released while provisioning), in `q`'s transaction.
 */
export function emitOrderCompleted(
  q: Sql,
  deps: { ids: Ids },
  order: { id: string; accountId: string },
  at: Date,
): Promise<string[]> {
  return emitIfWanted(q, deps, order.accountId, ['order.completed'], async () => [
    await orderEvent(q, 'order.completed', order, at),
  ]);
}

/** `inventory.available` for a stock alert that fired: the alert as it is after firing. */
export function alertFiredEvent(alert: StockAlertView, at: Date): EventInput {
  return { accountId: alert.accountId, type: 'inventory.available', data: presentAlert(alert), at };
}

/** `payment.failed` for a card payment just marked failed, in `q`'s transaction. */
export function emitPaymentFailed(q: Sql, deps: { ids: Ids }, payment: Payment, at: Date): Promise<string[]> {
  return emitEvents(q, deps, [
    { accountId: payment.accountId, type: 'payment.failed', data: presentPayment(payment), at },
  ]);
}
