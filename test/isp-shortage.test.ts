/**
 * Short ISP stock (SPEC §6): wait (paid, queued, delivered in full first come
 * first served), substitute (same city other ASN first, then the nearest city), and cancelling a
 * waiting order for a full refund (SPEC §5).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueWaitQueueRun, serveWaitQueue } from '../src/app/isp/serve-wait-queue.ts';
import { balanceOf } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, availableAt, batchIps, batchRow, jobsFor, waitRow } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function order(key: string, body: Record<string, unknown>) {
  const res = await h.call('POST', '/v1/orders', { key, body: { product: 'isp', ...body } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function getOrder(key: string, id: string) {
  const res = await h.call('GET', `/v1/orders/${id}`, { key });
  expect(res.statusCode).toBe(200);
  return res.json();
}

/** Stock arrives: rows added, a run of the queue enqueued as the import does, the clock moved 1 s. */
async function stockArrives(p: { country: string; city: string; asn: number; count: number }) {
  await addStock(h.db, p);
  await enqueueWaitQueueRun(h.db, await h.clock.now(), p.country);
  const adv = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 1 } });
  expect(adv.statusCode).toBe(200);
}

describe('on_shortage wait', () => {
  it('a short order is paid and waiting_inventory, with a waiting batch and a queue row; no stock taken', async () => {
    await addStock(h.db, { country: 'de', city: 'berlin', asn: 3320, count: 3 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, {
      country: 'de',
      city: 'berlin',
      asn: 3320,
      quantity: 10,
      on_shortage: 'wait',
    });
    expect(o).toMatchObject({
      status: 'waiting_inventory',
      payment_status: 'paid',
      total_usd: 55,
      paid_usd: 55,
      details: { quantity: 10, country: 'de', city: 'berlin', asn: 3320, expires_at: null },
    });
    expect(o.line_items[0]).toMatchObject({ status: 'paid', starts_at: null, ends_at: null });
    expect(await balanceOf(h, c.key)).toBe(45);
    expect(await batchRow(h.db, o.details.batch_id)).toMatchObject({
      status: 'waiting_inventory',
      quantity: 10,
      period_started_at: null,
      expires_at: null,
    });
    expect(await batchIps(h.db, o.details.batch_id)).toEqual([]);
    expect(await waitRow(h.db, o.id)).toMatchObject({ served_at: null, cancelled_at: null });
    expect(await availableAt(h.db, { country: 'de', city: 'berlin', asn: 3320 })).toBe(3);
    expect(await jobsFor(h.db, 'provision_isp_batch', { batch_id: o.details.batch_id })).toEqual([]);
    expect(await h.ledgerMismatches()).toEqual([]);

    // enough stock arrives: delivered in full, the first period starting at delivery
    await stockArrives({ country: 'de', city: 'berlin', asn: 3320, count: 7 });
    const now = (await waitRow(h.db, o.id))!.served_at!;
    const expires = new Date(now);
    expires.setUTCMonth(expires.getUTCMonth() + 1);
    const after = await getOrder(c.key, o.id);
    expect(after).toMatchObject({
      status: 'provisioning',
      payment_status: 'paid',
      details: { batch_id: o.details.batch_id, expires_at: expires.toISOString() },
    });
    expect(after.line_items[0]).toMatchObject({
      starts_at: now.toISOString(),
      ends_at: expires.toISOString(),
    });
    expect(
      after.events.map((e: { field: string; from: string; to: string }) => [e.field, e.from, e.to]),
    ).toEqual([
      ['status', null, 'waiting_inventory'],
      ['payment_status', null, 'paid'],
      ['status', 'waiting_inventory', 'provisioning'],
    ]);
    const batch = await batchRow(h.db, o.details.batch_id);
    expect(batch).toMatchObject({ status: 'provisioning' });
    expect(batch!.expires_at!.toISOString()).toBe(expires.toISOString());
    expect(await batchIps(h.db, o.details.batch_id)).toHaveLength(10);
    expect(await jobsFor(h.db, 'provision_isp_batch', { batch_id: o.details.batch_id })).toHaveLength(1);
    expect(await balanceOf(h, c.key)).toBe(45);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('first come first served in full: a small later order does not jump a big earlier one for the same place', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const place = { country: 'fr', city: 'paris', asn: 3215 };
    const big = await order(c.key, { ...place, quantity: 10, on_shortage: 'wait' });
    await h.clock.advance(1);
    const small = await order(c.key, { ...place, quantity: 5, on_shortage: 'wait' });
    await h.clock.advance(1);
    const elsewhere = await order(c.key, {
      country: 'fr',
      city: 'lyon',
      asn: 5410,
      quantity: 5,
      on_shortage: 'wait',
    });

    // 7 IPs would serve the small order, but the big one came first and waits for 10
    await stockArrives({ ...place, count: 7 });
    expect((await getOrder(c.key, big.id)).status).toBe('waiting_inventory');
    expect((await getOrder(c.key, small.id)).status).toBe('waiting_inventory');
    expect(await availableAt(h.db, place)).toBe(7);

    // a later order for a place the waiting ones cannot use is not held up
    await stockArrives({ country: 'fr', city: 'lyon', asn: 5410, count: 5 });
    expect((await getOrder(c.key, elsewhere.id)).status).toBe('provisioning');
    expect((await getOrder(c.key, small.id)).status).toBe('waiting_inventory');

    await stockArrives({ ...place, count: 3 });
    expect((await getOrder(c.key, big.id)).status).toBe('provisioning');
    expect((await getOrder(c.key, small.id)).status).toBe('waiting_inventory');

    await stockArrives({ ...place, count: 5 });
    const delivered = await getOrder(c.key, small.id);
    expect(delivered.status).toBe('provisioning');
    expect(await batchIps(h.db, delivered.details.batch_id)).toHaveLength(5);
    expect(await availableAt(h.db, { country: 'fr' })).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a country-wide order behind a waiting city order takes only IPs the city order cannot use', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const city = await order(c.key, {
      country: 'de',
      city: 'munich',
      asn: 3209,
      quantity: 10,
      on_shortage: 'wait',
    });
    await h.clock.advance(1);
    const anywhere = await order(c.key, { country: 'de', quantity: 5, on_shortage: 'wait' });
    await addStock(h.db, { country: 'de', city: 'munich', asn: 3209, count: 6 });
    await stockArrives({ country: 'de', city: 'hamburg', asn: 3209, count: 5 });
    expect((await getOrder(c.key, city.id)).status).toBe('waiting_inventory');
    const served = await getOrder(c.key, anywhere.id);
    expect(served.status).toBe('provisioning');
    expect((await batchIps(h.db, served.details.batch_id)).map((i) => i.city)).toEqual(
      Array(5).fill('hamburg'),
    );
    expect(await availableAt(h.db, { country: 'de', city: 'munich' })).toBe(6);
  });

  it('a new order does not take IPs an earlier waiting order could use', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const waiting = await order(c.key, {
      country: 'nl',
      city: 'rotterdam',
      asn: 1136,
      quantity: 10,
      on_shortage: 'wait',
    });
    await addStock(h.db, { country: 'nl', city: 'rotterdam', asn: 1136, count: 6 });
    await addStock(h.db, { country: 'nl', city: 'rotterdam', asn: 33915, count: 5 });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'nl', city: 'rotterdam', asn: 1136, quantity: 5 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'insufficient_inventory', available: 0 });
    const quote = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'isp', country: 'nl', city: 'rotterdam', asn: 1136, quantity: 5 },
    });
    expect(quote.json().stock).toMatchObject({ available: 0, outcome: 'insufficient' });
    // another ASN of the city is not what the waiting order asked for
    const other = await order(c.key, { country: 'nl', city: 'rotterdam', asn: 33915, quantity: 5 });
    expect(other.status).toBe('provisioning');
    expect((await getOrder(c.key, waiting.id)).status).toBe('waiting_inventory');
    await stockArrives({ country: 'nl', city: 'rotterdam', asn: 1136, count: 4 });
    expect((await getOrder(c.key, waiting.id)).status).toBe('provisioning');
  });

  it('serveWaitQueue reports what it served and what still waits', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const a = await order(c.key, {
      country: 'nl',
      city: 'amsterdam',
      asn: 1136,
      quantity: 5,
      on_shortage: 'wait',
    });
    const b = await order(c.key, {
      country: 'nl',
      city: 'amsterdam',
      asn: 1136,
      quantity: 6,
      on_shortage: 'wait',
    });
    await addStock(h.db, { country: 'nl', city: 'amsterdam', asn: 1136, count: 8 });
    expect(await serveWaitQueue(h.deps, { country: 'nl' })).toEqual({ served: [a.id], waiting: 1 });
    expect((await getOrder(c.key, b.id)).status).toBe('waiting_inventory');
    expect(await serveWaitQueue(h.deps, {})).toMatchObject({ served: [] });
  });

  it('enqueueWaitQueueRun queues a run only when an order waits in that country', async () => {
    const before = (await jobsFor(h.db, 'serve_isp_wait_queue')).length;
    await enqueueWaitQueueRun(h.db, await h.clock.now(), 'za');
    expect(await jobsFor(h.db, 'serve_isp_wait_queue')).toHaveLength(before);
  });
});

describe('on_shortage substitute', () => {
  it('another ASN in the same city comes first, flagged on the order and the batch, never dearer', async () => {
    await addStock(h.db, { country: 'us', city: 'chicago', asn: 7018, count: 2 });
    await addStock(h.db, { country: 'us', city: 'chicago', asn: 64600, count: 8 });
    await addStock(h.db, {
      country: 'us',
      city: 'milwaukee',
      asn: 7018,
      count: 8,
      lat: 43.0389,
      lon: -87.9065,
    });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, {
      country: 'us',
      city: 'chicago',
      asn: 7018,
      quantity: 5,
      on_shortage: 'substitute',
    });
    const substitution = {
      requested: { city: 'chicago', asn: 7018 },
      delivered: { city: 'chicago', asn: 64600 },
      reason: 'same_city_other_asn',
      distance_km: 0,
    };
    // 7018 is premium (6.00), 64600 is not (5.00): the lower price is charged
    expect(o).toMatchObject({
      status: 'provisioning',
      total_usd: 25,
      details: { city: 'chicago', asn: 64600, price_per_ip: 5, substitution },
    });
    expect(await batchRow(h.db, o.details.batch_id)).toMatchObject({
      city: 'chicago',
      asn: 64600,
      substitution,
    });
    const ips = await batchIps(h.db, o.details.batch_id);
    expect(ips.map((i) => [i.city, i.asn])).toEqual(Array(5).fill(['chicago', 64600]));
    expect(await availableAt(h.db, { country: 'us', city: 'chicago', asn: 7018 })).toBe(2);
    expect(await balanceOf(h, c.key)).toBe(75);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('with no stock in the city, the nearest city by distance', async () => {
    await addStock(h.db, { country: 'ca', city: 'toronto', asn: 577, count: 5 });
    await addStock(h.db, { country: 'ca', city: 'vancouver', asn: 577, count: 50 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, {
      country: 'ca',
      city: 'montreal',
      asn: 577,
      quantity: 5,
      on_shortage: 'substitute',
    });
    expect(o.details).toMatchObject({ city: 'toronto', asn: 577 });
    expect(o.details.substitution).toMatchObject({
      requested: { city: 'montreal', asn: 577 },
      delivered: { city: 'toronto', asn: 577 },
      reason: 'nearest_city',
    });
    expect(o.details.substitution.distance_km).toBeGreaterThan(450);
    expect(o.details.substitution.distance_km).toBeLessThan(550);
    expect(o.total_usd).toBe(27.5);
  });

  it('no place of the country can deliver in full: 422 insufficient_inventory, nothing charged', async () => {
    await addStock(h.db, { country: 'jp', city: 'tokyo', asn: 2516, count: 4 });
    await addStock(h.db, { country: 'jp', city: 'osaka', asn: 2516, count: 4 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: {
        product: 'isp',
        country: 'jp',
        city: 'tokyo',
        asn: 2516,
        quantity: 5,
        on_shortage: 'substitute',
      },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'insufficient_inventory', available: 4 });
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await availableAt(h.db, { country: 'jp' })).toBe(8);
  });

  it('the quote previews the substitution and its price', async () => {
    await addStock(h.db, { country: 'sg', city: 'singapore', asn: 9506, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: {
        product: 'isp',
        country: 'sg',
        city: 'singapore',
        asn: 4773,
        quantity: 5,
        on_shortage: 'substitute',
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      total_usd: 30,
      stock: {
        available: 0,
        outcome: 'substitute',
        substitution: { delivered: { city: 'singapore', asn: 9506 }, reason: 'same_city_other_asn' },
      },
      details: { asn: 9506 },
    });
    expect(await availableAt(h.db, { country: 'sg' })).toBe(5);
  });
});

describe('cancelling a waiting order (SPEC §5)', () => {
  it('refunds it in full to the balance, releases the batch and leaves the queue', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const o = await order(c.key, {
      country: 'gb',
      city: 'london',
      asn: 2856,
      quantity: 5,
      on_shortage: 'wait',
    });
    expect(await balanceOf(h, c.key)).toBe(72.5);
    const res = await h.call('POST', `/v1/orders/${o.id}/cancel`, { key: c.key });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      payment_status: 'refunded',
      total_usd: 27.5,
      refunded_usd: 27.5,
    });
    expect(res.json().line_items[0].status).toBe('refunded');
    expect(await balanceOf(h, c.key)).toBe(100);
    const txns = (await h.call('GET', '/v1/billing/transactions', { key: c.key })).json().data;
    expect(txns[0]).toMatchObject({
      cause: 'refund',
      amount_usd: 27.5,
      balance_after_usd: 100,
      order_id: o.id,
    });
    const events = (await getOrder(c.key, o.id)).events.map(
      (e: { field: string; from: string; to: string }) => [e.field, e.from, e.to],
    );
    expect(events.slice(2)).toEqual([
      ['status', 'waiting_inventory', 'cancelled'],
      ['payment_status', 'paid', 'refunded'],
    ]);
    expect(await batchRow(h.db, o.details.batch_id)).toMatchObject({ status: 'released' });
    expect((await waitRow(h.db, o.id))?.cancelled_at).not.toBeNull();

    // stock arriving later does not deliver a cancelled order
    await stockArrives({ country: 'gb', city: 'london', asn: 2856, count: 5 });
    expect((await getOrder(c.key, o.id)).status).toBe('cancelled');
    expect(await availableAt(h.db, { country: 'gb', city: 'london', asn: 2856 })).toBe(5);

    const again = await h.call('POST', `/v1/orders/${o.id}/cancel`, { key: c.key });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the card part goes back to the card, the balance part to the balance', async () => {
    const c = await h.customer({ balanceUsd: 10, kyc: true });
    const pm = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } },
    });
    expect(pm.statusCode).toBe(200);
    const o = await order(c.key, {
      country: 'au',
      city: 'sydney',
      asn: 1221,
      quantity: 5,
      on_shortage: 'wait',
    });
    expect(o).toMatchObject({ status: 'waiting_inventory', total_usd: 32.5 });
    expect(await balanceOf(h, c.key)).toBe(0);
    const res = await h.call('POST', `/v1/orders/${o.id}/cancel`, { key: c.key });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', payment_status: 'refunded', refunded_usd: 32.5 });
    expect(await balanceOf(h, c.key)).toBe(10);
    const charges = await h.db.query<{ amount_cents: number; refunded_cents: number }>(
      `SELECT c.amount_cents, c.refunded_cents FROM sandbox_charges c
       JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1`,
      [c.id],
    );
    expect(charges).toEqual([{ amount_cents: 2250, refunded_cents: 2250 }]);
    const events = (await getOrder(c.key, o.id)).events.map((e: { field: string; to: string }) => [
      e.field,
      e.to,
    ]);
    expect(events.slice(2)).toEqual([
      ['status', 'cancelled'],
      ['payment_status', 'refunding'],
      ['payment_status', 'refunded'],
    ]);
    // the safety-net job finds nothing left to do
    await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 600 } });
    expect((await getOrder(c.key, o.id)).payment_status).toBe('refunded');
    expect((await jobsFor(h.db, 'refund_order_card', { order_id: o.id }))[0]?.done_at).not.toBeNull();
    expect(charges[0]!.refunded_cents).toBe(2250);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a card refund that fails leaves the order refund_failed for an operator', async () => {
    const c = await h.customer({ kyc: true });
    const pm = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: '4000000000000341', exp_month: 12, exp_year: 2030, cvc: '123' } },
    });
    expect(pm.statusCode).toBe(200);
    const o = await order(c.key, {
      country: 'au',
      city: 'perth',
      asn: 1221,
      quantity: 5,
      on_shortage: 'wait',
    });
    const res = await h.call('POST', `/v1/orders/${o.id}/cancel`, { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: 'cancelled',
      payment_status: 'refund_failed',
      refunded_usd: 0,
    });
    expect(res.json().line_items[0].status).toBe('refund_failed');
  });

  it('orders that are not waiting are 409 invalid_state; unknown and foreign orders 404', async () => {
    await addStock(h.db, { country: 'gb', city: 'manchester', asn: 5089, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const other = await h.customer({ balanceUsd: 100, kyc: true });
    const delivered = await order(c.key, { country: 'gb', city: 'manchester', asn: 5089, quantity: 5 });
    const bw = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } });
    expect(bw.statusCode).toBe(200);
    for (const id of [delivered.id, bw.json().id]) {
      const res = await h.call('POST', `/v1/orders/${id}/cancel`, { key: c.key });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('invalid_state');
    }
    const waiting = await order(c.key, {
      country: 'gb',
      city: 'leeds',
      asn: 5089,
      quantity: 5,
      on_shortage: 'wait',
    });
    for (const id of [waiting.id, 'ord_01HZZZZZZZZZZZZZZZZZZZZZZZ']) {
      const res = await h.call('POST', `/v1/orders/${id}/cancel`, { key: other.key });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await getOrder(c.key, waiting.id)).status).toBe('waiting_inventory');
    expect(await balanceOf(h, other.key)).toBe(100);
  });
});
