/**
 * Orders for list and payment tests: placed through the API, or written through the store in a
 * state the API cannot produce yet; and moving the clock to a known UTC day.
 */
import { expect } from 'vitest';
import { priceOrder } from '../../src/app/orders/price-order.ts';
import { insertOrder } from '../../src/db/orders.ts';
import type { Order } from '../../src/domain/order.ts';
import type { Harness } from './harness.ts';

/** A residential order of 50 GB: 225.00 at the default price book. */
export const RESIDENTIAL_225 = { product: 'residential', gb: 50 } as const;

/** A bandwidth order placed through POST /v1/orders (paid at once); returns its id. */
export async function newOrder(
  h: Harness,
  key: string,
  product: 'residential' | 'mobile',
  gb = 1,
): Promise<string> {
  const res = await h.call('POST', '/v1/orders', { key, body: { product, gb } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().id;
}

/**
 * An order in a state the API cannot produce yet (renewals, refunds...), written through the
 * store as the use-cases that make them will: no money moves, it only has to be listed.
 */
export async function storedOrder(
  h: Harness,
  accountId: string,
  product: 'residential' | 'mobile',
  state: Pick<Order, 'type' | 'status' | 'paymentStatus'>,
): Promise<string> {
  const priced = await priceOrder(h.db, h.deps.ids, accountId, { product, gb: 1 }, await h.clock.now());
  if (!priced.ok) throw new Error(priced.error.message);
  await insertOrder(h.db, { ...priced.value, ...state }, 'test fixture');
  return priced.value.id;
}

/** How many orders GET /v1/orders lists for the key (its first page). */
export async function orderCount(h: Harness, key: string): Promise<number> {
  return (await h.call('GET', '/v1/orders', { key })).json().data.length;
}

/** Moves the test clock to 10:00 UTC of the next day; returns that day as YYYY-MM-DD. */
export async function nextDayAtTen(h: Harness): Promise<string> {
  const now = await h.clock.now();
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 10);
  await h.clock.advance((next - now.getTime()) / 1000);
  return (await h.clock.now()).toISOString().slice(0, 10);
}
