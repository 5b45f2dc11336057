/**
 * Webhooks (SPEC §1) against a real HTTP receiver on 127.0.0.1 that checks every
 * request's Orderdesk-Signature with verifySignature, as a customer's server would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.ts';
import {
  deliverDueWebhooks,
  nextAttemptAt,
  retryDelaySeconds,
} from '../src/app/webhooks/deliver-due-webhooks.ts';
import { openPostgres } from '../src/db/client.ts';
import { claimDueDeliveries } from '../src/db/webhooks.ts';
import { buildApp } from '../src/http/app.ts';
import { DELIVER_WEBHOOKS_JOB } from '../src/jobs/deliver-webhooks.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness, makeDeps } from './support/harness.ts';
import { type Receiver, receiverPool, runDeliverWebhooks, subscribe } from './support/webhook-receiver.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const pool = receiverPool();
afterAll(async () => {
  await pool.closeAll();
});
const receiver = pool.receiver;

/** One run of the worker's deliver_webhooks job (as registered in jobs/kinds.ts). */
const runJob = (deps: Deps = h.deps) => runDeliverWebhooks(deps);

const endpoint = (key: string, r: Receiver, events?: string[]) => subscribe(h, key, r, events);

async function order(key: string, gb = 1): Promise<Record<string, unknown>> {
  const res = await h.call('POST', '/v1/orders', { key, body: { product: 'residential', gb } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function deliveries(key: string, endpointId: string) {
  const res = await h.call('GET', `/v1/webhook-endpoints/${endpointId}/deliveries`, { key });
  expect(res.statusCode).toBe(200);
  return res.json().data as Record<string, unknown>[];
}

const now = async () => (await h.clock.now()).getTime();

describe('webhook delivery (SPEC §1)', () => {
  it('a paid bandwidth order reaches the endpoint as order.paid and order.completed, signed t=…,v1=hmac', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const r = await receiver();
    const we = await endpoint(c.key, r);
    const placed = await order(c.key, 50);
    const t0 = await now();

    await runJob();
    expect(r.got.map((g) => g.event.type).sort()).toEqual(['order.completed', 'order.paid']);
    for (const g of r.got) {
      expect(g.verified).toBe(true);
      expect(g.headers['orderdesk-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(g.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(g.headers['orderdesk-event-id']).toBe(g.event.id);
      expect(g.event).toMatchObject({
        object: 'event',
        account_id: c.id,
        created_at: new Date(t0).toISOString(),
      });
      expect(g.event.id).toMatch(/^evt_[0-9A-Z]{26}$/);
      // data.object is the order as the API shows it, amounts with their two decimals
      expect(g.event.data.object).toEqual(placed);
      expect(g.raw).toMatch(/"total_usd": ?225\.00/);
    }

    const list = await deliveries(c.key, we);
    expect(list).toHaveLength(2);
    for (const d of list) {
      expect(d).toMatchObject({
        object: 'webhook_delivery',
        endpoint_id: we,
        status: 'delivered',
        attempts: 1,
        last_status: 200,
        next_attempt_at: null,
        delivered_at: new Date(t0).toISOString(),
      });
      expect(d.id).toMatch(/^wd_[0-9A-Z]{26}$/);
    }
    expect(list.map((d) => d.event_id).sort()).toEqual(r.got.map((g) => g.event.id).sort());
    // nothing is sent twice
    await runJob();
    expect(r.got).toHaveLength(2);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('an order paid partly by card raises the same events, once the card payment settles', async () => {
    const c = await h.customer({ balanceUsd: 1 });
    const pm = await h.call('POST', '/v1/payment-methods', {
      key: c.key,
      body: { card: { number: '4242424242424242', exp_month: 12, exp_year: 2030, cvc: '123' } },
    });
    expect(pm.statusCode).toBe(200);
    const r = await receiver();
    await endpoint(c.key, r);
    const placed = await order(c.key, 10);
    expect(placed).toMatchObject({ total_usd: 45, payment_status: 'paid' });
    await runJob();
    expect(r.got.map((g) => g.event.type).sort()).toEqual(['order.completed', 'order.paid']);
    expect(r.got.every((g) => g.verified && g.event.data.object.id === placed.id)).toBe(true);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a refused order raises no event', async () => {
    const c = await h.customer({ balanceUsd: 1 });
    const r = await receiver();
    const we = await endpoint(c.key, r);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode).toBe(409);
    await runJob();
    expect(r.got).toHaveLength(0);
    expect(await deliveries(c.key, we)).toEqual([]);
  });

  it('an endpoint receives only the event types it subscribed to', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver();
    await endpoint(c.key, r, ['order.completed']);
    await order(c.key);
    await runJob();
    expect(r.got.map((g) => g.event.type)).toEqual(['order.completed']);
  });

  it('a receiver answering 500 twice is retried 30 s and then 60 s later, then delivered', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver([500, 500]);
    const we = await endpoint(c.key, r, ['order.paid']);
    await order(c.key);
    const t0 = await now();

    await runJob();
    expect(r.got).toHaveLength(1);
    let [d] = await deliveries(c.key, we);
    expect(d).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_status: 500,
      last_error: 'HTTP 500',
      next_attempt_at: new Date(t0 + 30_000).toISOString(),
      delivered_at: null,
    });

    await h.clock.advance(29);
    await runJob();
    expect(r.got).toHaveLength(1); // not due yet

    await h.clock.advance(1);
    await runJob();
    expect(r.got).toHaveLength(2);
    [d] = await deliveries(c.key, we);
    expect(d).toMatchObject({
      status: 'pending',
      attempts: 2,
      next_attempt_at: new Date(t0 + 90_000).toISOString(),
    });

    await h.clock.advance(60);
    await runJob();
    expect(r.got).toHaveLength(3);
    [d] = await deliveries(c.key, we);
    expect(d).toMatchObject({
      status: 'delivered',
      attempts: 3,
      last_status: 200,
      last_error: null,
      next_attempt_at: null,
      delivered_at: new Date(t0 + 90_000).toISOString(),
    });
    // every attempt carried the same event, byte for byte, each freshly and validly signed
    expect(new Set(r.got.map((g) => g.raw)).size).toBe(1);
    expect(r.got.every((g) => g.verified)).toBe(true);
  });

  it('after 3 days of failures the delivery is failed; retries doubled from 30 s up to 6 h, the last at 72 h', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver(Array.from({ length: 100 }, () => 503));
    const we = await endpoint(c.key, r, ['order.paid']);
    await order(c.key);
    const t0 = await now();

    const attemptsAt: number[] = [];
    for (let i = 0; i < 100; i++) {
      const [d] = await deliveries(c.key, we);
      if (d!.status !== 'pending') break;
      const wait = (Date.parse(d!.next_attempt_at as string) - (await now())) / 1000;
      if (wait > 0) await h.clock.advance(wait);
      attemptsAt.push(((await now()) - t0) / 1000);
      await runJob();
    }
    // the schedule, spelled out: 0, 30, 90, 210, … (doubling), capped at 6 h, the last at 72 h
    const expected = [0];
    for (let delay = 30; expected.at(-1)! < 72 * 3600; delay = Math.min(delay * 2, 6 * 3600)) {
      expected.push(Math.min(expected.at(-1)! + delay, 72 * 3600));
    }
    expect(expected.slice(0, 5)).toEqual([0, 30, 90, 210, 450]);
    expect(attemptsAt).toEqual(expected);
    expect(attemptsAt).toHaveLength(22);
    expect(r.got).toHaveLength(22);

    const [d] = await deliveries(c.key, we);
    expect(d).toMatchObject({
      status: 'failed',
      attempts: 22,
      last_status: 503,
      next_attempt_at: null,
      delivered_at: null,
      retry_until: new Date(t0 + 72 * 3600_000).toISOString(),
    });
    // failed is final: a later run sends nothing
    await h.clock.advance(24 * 3600);
    await runJob();
    expect(r.got).toHaveLength(22);
  });

  it('the retry schedule: 30 s doubling, at most 6 h, never past the deadline', () => {
    expect([1, 2, 3, 4, 10, 11, 12, 50].map(retryDelaySeconds)).toEqual([
      30, 60, 120, 240, 15360, 21600, 21600, 21600,
    ]);
    const t = new Date('2026-01-01T00:00:00Z');
    const until = new Date(t.getTime() + 100_000);
    expect(nextAttemptAt(1, t, until)).toEqual(new Date(t.getTime() + 30_000));
    expect(nextAttemptAt(20, t, until)).toEqual(until);
    expect(nextAttemptAt(20, until, until)).toBeNull();
  });

  it('a restart between enqueue and delivery: a fresh process over the same database delivers it once', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver();
    const we = await endpoint(c.key, r, ['order.paid']);
    await order(c.key);
    // the process that took the order stops here; a new one starts over the same database
    const db2 = h.url ? await openPostgres(h.url, 4) : h.db;
    const { deps: deps2 } = await makeDeps(db2);
    const app2 = await buildApp(deps2);
    try {
      const listed = await app2.inject({
        method: 'GET',
        url: `/v1/webhook-endpoints/${we}/deliveries`,
        headers: { authorization: `Bearer ${c.key}` },
      });
      expect(listed.json().data).toMatchObject([{ status: 'pending', attempts: 0 }]);
      // the new process's worker, and the old one's at the same moment: one request only
      await Promise.all([runJob(deps2), runJob(h.deps)]);
      await runJob(deps2);
      expect(r.got).toHaveLength(1);
      expect(r.got[0]!.verified).toBe(true);
      const [d] = await deliveries(c.key, we);
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, event_id: r.got[0]!.event.id });
    } finally {
      await app2.close();
      if (db2 !== h.db) await db2.close();
    }
  });

  it('a delivery claimed by a worker that died is sent by another once the claim runs out (60 s)', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver();
    const we = await endpoint(c.key, r, ['order.paid']);
    await order(c.key);
    // a worker claims the delivery, then dies before sending it
    const wall = Date.now();
    const claimed = await claimDueDeliveries(h.db, {
      now: await h.clock.now(),
      wallNow: new Date(wall),
      lockUntil: new Date(wall + 60_000),
      limit: 100,
    });
    expect(claimed.map((d) => d.endpointId)).toContain(we);

    const { deps: deps2 } = await makeDeps(h.db);
    await deliverDueWebhooks(deps2, { wallNow: () => wall + 59_000 });
    expect(r.got).toHaveLength(0); // still claimed
    await deliverDueWebhooks(deps2, { wallNow: () => wall + 61_000 });
    expect(r.got).toHaveLength(1);
    expect(r.got[0]!.verified).toBe(true);
    const [d] = await deliveries(c.key, we);
    expect(d).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('replay sends the same event (same id, same body) again to the endpoint as a new delivery', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver();
    const we = await endpoint(c.key, r, ['order.paid']);
    await order(c.key);
    await runJob();
    expect(r.got).toHaveLength(1);
    const [first] = await deliveries(c.key, we);

    await h.clock.advance(600);
    const res = await h.call('POST', `/v1/webhook-deliveries/${first!.id}/replay`, { key: c.key });
    expect(res.statusCode).toBe(200);
    const replay = res.json();
    expect(replay).toMatchObject({
      object: 'webhook_delivery',
      event_id: first!.event_id,
      event_type: 'order.paid',
      endpoint_id: we,
      status: 'pending',
      attempts: 0,
      replay_of: first!.id,
    });
    expect(replay.id).not.toBe(first!.id);

    await runJob();
    expect(r.got).toHaveLength(2);
    expect(r.got[1]!.event.id).toBe(first!.event_id);
    expect(r.got[1]!.raw).toBe(r.got[0]!.raw);
    expect(r.got[1]!.verified).toBe(true);
    const list = await deliveries(c.key, we);
    expect(list.map((d) => [d.id, d.status])).toEqual([
      [replay.id, 'delivered'],
      [first!.id, 'delivered'],
    ]);
  });

  it('deleting an endpoint drops its pending deliveries: nothing more is sent', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver([500]);
    const we = await endpoint(c.key, r, ['order.paid']);
    await order(c.key);
    await runJob();
    expect(r.got).toHaveLength(1);
    const del = await h.call('DELETE', `/v1/webhook-endpoints/${we}`, { key: c.key });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ id: we, object: 'webhook_endpoint', deleted: true });
    expect((await h.call('GET', `/v1/webhook-endpoints/${we}`, { key: c.key })).statusCode).toBe(404);
    expect((await h.call('DELETE', `/v1/webhook-endpoints/${we}`, { key: c.key })).statusCode).toBe(404);
    await h.clock.advance(60);
    await runJob();
    expect(r.got).toHaveLength(1);
    // and its orders no longer raise events
    await order(c.key);
    await runJob();
    expect(r.got).toHaveLength(1);
  });
});

describe('webhook endpoints (SPEC §1)', () => {
  it('the secret is shown once, at creation; reads and lists never show it', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/hooks', description: 'billing sync' },
    });
    expect(res.statusCode).toBe(200);
    const created = res.json();
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      account_id: c.id,
      url: 'https://example.com/hooks',
      description: 'billing sync',
      events: ['*'],
      status: 'enabled',
      created_at: new Date(await now()).toISOString(),
    });
    expect(created.id).toMatch(/^we_[0-9A-Z]{26}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9]{32}$/);

    const got = await h.call('GET', `/v1/webhook-endpoints/${created.id}`, { key: c.key });
    expect(got.statusCode).toBe(200);
    const { secret: _secret, ...rest } = created;
    expect(got.json()).toEqual(rest);
    const list = await h.call('GET', '/v1/webhook-endpoints', { key: c.key });
    expect(list.json()).toEqual({ object: 'list', data: [rest], has_more: false });
    expect(got.body).not.toContain(created.secret);
    expect(list.body).not.toContain(created.secret);
  });

  it('lists endpoints newest first with cursor pages', async () => {
    const c = await h.customer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await h.call('POST', '/v1/webhook-endpoints', {
        key: c.key,
        body: { url: `https://example.com/${i}` },
      });
      ids.push(res.json().id);
    }
    const p1 = (await h.call('GET', '/v1/webhook-endpoints?limit=2', { key: c.key })).json();
    expect(p1.data.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    expect(p1.has_more).toBe(true);
    const p2 = (
      await h.call('GET', `/v1/webhook-endpoints?limit=2&starting_after=${ids[1]}`, { key: c.key })
    ).json();
    expect(p2.data.map((e: { id: string }) => e.id)).toEqual([ids[0]]);
    expect(p2.has_more).toBe(false);
  });

  it.each([
    ['ftp://example.com/hook'],
    ['javascript:alert(1)'],
    ['file:///etc/passwd'],
    ['mailto:ops@example.com'],
    ['not a url'],
    ['/relative/path'],
    ['http://user:pass@example.com/hook'],
    ['https://'],
    [`https://example.com/${'a'.repeat(2029)}`], // 2049 characters
    [''],
  ])('the URL %j is refused: 400 invalid_request', async (url) => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body: { url } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'url' });
    expect((await h.call('GET', '/v1/webhook-endpoints', { key: c.key })).json().data).toEqual([]);
  });

  it('a URL of exactly 2048 characters is accepted', async () => {
    const c = await h.customer();
    const url = `https://example.com/${'a'.repeat(2028)}`;
    expect(url).toHaveLength(2048);
    const res = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body: { url } });
    expect(res.statusCode).toBe(200);
  });

  it.each([
    [{ events: [] }, 'events'],
    [{ events: ['order.shipped'] }, 'events.0'],
    [{ events: 'order.paid' }, 'events'],
    [{ secret: 'mine' }, 'secret'],
  ])('a bad body %j is 400 invalid_request', async (extra, param) => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/x', ...extra },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param });
  });

  it('an Idempotency-Key repeat returns the same endpoint and creates no second one', async () => {
    const c = await h.customer();
    const send = () =>
      h.call('POST', '/v1/webhook-endpoints', {
        key: c.key,
        body: { url: 'https://example.com/idem' },
        headers: { 'idempotency-key': 'we-1' },
      });
    const a = await send();
    const b = await send();
    expect(b.statusCode).toBe(200);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.json().id).toBe(a.json().id);
    expect((await h.call('GET', '/v1/webhook-endpoints', { key: c.key })).json().data).toHaveLength(1);
  });
});

describe('webhook tenant isolation', () => {
  it("another account's endpoints and deliveries are 404, and it never receives their events", async () => {
    const a = await h.customer({ balanceUsd: 100 });
    const b = await h.customer({ balanceUsd: 100 });
    const ra = await receiver();
    const rb = await receiver();
    const weA = await endpoint(a.key, ra);
    const weB = await endpoint(b.key, rb);
    await order(a.key);
    await runJob();
    expect(ra.got).toHaveLength(2);
    expect(rb.got).toHaveLength(0); // B's endpoint gets nothing of A's
    const [delivery] = await deliveries(a.key, weA);

    for (const [method, path] of [
      ['GET', `/v1/webhook-endpoints/${weA}`],
      ['GET', `/v1/webhook-endpoints/${weA}/deliveries`],
      ['DELETE', `/v1/webhook-endpoints/${weA}`],
      ['POST', `/v1/webhook-deliveries/${delivery!.id}/replay`],
    ] as const) {
      const res = await h.call(method, path, { key: b.key });
      expect(res.statusCode, `${method} ${path}`).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    const listB = (await h.call('GET', '/v1/webhook-endpoints', { key: b.key })).json();
    expect(listB.data.map((e: { id: string }) => e.id)).toEqual([weB]);
    // a foreign cursor yields nothing
    const foreign = await h.call('GET', `/v1/webhook-endpoints?starting_after=${weA}`, { key: b.key });
    expect(foreign.json().data).toEqual([]);
    const foreignDeliveries = await h.call(
      'GET',
      `/v1/webhook-endpoints/${weB}/deliveries?starting_after=${delivery!.id}`,
      { key: b.key },
    );
    expect(foreignDeliveries.json().data).toEqual([]);

    // A's endpoint is untouched; B's own order goes to B only
    expect((await h.call('GET', `/v1/webhook-endpoints/${weA}`, { key: a.key })).statusCode).toBe(200);
    await order(b.key);
    await runJob();
    expect(ra.got).toHaveLength(2);
    expect(rb.got.map((g) => g.event.account_id)).toEqual([b.id, b.id]);
  });

  it('customer keys cannot use the operator webhook routes (403)', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/admin/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/x' },
    });
    expect(res.statusCode).toBe(403);
    expect((await h.call('GET', '/admin/v1/webhook-endpoints', { key: c.key })).statusCode).toBe(403);
  });
});

describe('operator webhook endpoints', () => {
  it("an operator endpoint (account null) receives every account's events; customers cannot see it", async () => {
    const r = await receiver();
    const res = await h.call('POST', '/admin/v1/webhook-endpoints', {
      admin: true,
      body: { url: r.url, events: ['order.paid'] },
    });
    expect(res.statusCode).toBe(200);
    const op = res.json();
    expect(op).toMatchObject({ object: 'webhook_endpoint', account_id: null, events: ['order.paid'] });
    expect(op.secret).toMatch(/^whsec_/);
    r.secret = op.secret;
    try {
      const a = await h.customer({ balanceUsd: 100 });
      const b = await h.customer({ balanceUsd: 100 });
      await order(a.key);
      await order(b.key);
      await runJob();
      expect(r.got.map((g) => g.event.account_id).sort()).toEqual([a.id, b.id].sort());
      expect(r.got.every((g) => g.verified && g.event.type === 'order.paid')).toBe(true);

      // operators list and inspect theirs; customers see none of it
      const list = (await h.call('GET', '/admin/v1/webhook-endpoints', { admin: true })).json();
      expect(list.data.map((e: { id: string }) => e.id)).toEqual([op.id]);
      expect(list.data[0].secret).toBeUndefined();
      const ds = await h.call('GET', `/admin/v1/webhook-endpoints/${op.id}/deliveries`, { admin: true });
      expect(ds.json().data).toHaveLength(2);
      expect((await h.call('GET', `/v1/webhook-endpoints/${op.id}`, { key: a.key })).statusCode).toBe(404);
      const replay = await h.call('POST', `/v1/webhook-deliveries/${ds.json().data[0].id}/replay`, {
        key: a.key,
      });
      expect(replay.statusCode).toBe(404);
      // and operators do not see customers' endpoints among theirs
      const ca = await endpoint(a.key, await receiver());
      expect((await h.call('GET', `/admin/v1/webhook-endpoints/${ca}`, { admin: true })).statusCode).toBe(
        404,
      );
    } finally {
      const del = await h.call('DELETE', `/admin/v1/webhook-endpoints/${op.id}`, { admin: true });
      expect(del.statusCode).toBe(200);
    }
  });

  it('the worker runs deliver_webhooks every 5 s: advancing the clock delivers', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await receiver();
    await endpoint(c.key, r, ['order.paid']);
    await schedulePeriodic(h.deps, { [DELIVER_WEBHOOKS_JOB]: jobKinds[DELIVER_WEBHOOKS_JOB]! });
    await order(c.key);
    const adv = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 5 } });
    expect(adv.statusCode).toBe(200);
    expect(r.got.map((g) => g.event.type)).toEqual(['order.paid']);
    expect(r.got[0]!.verified).toBe(true);
  });
});
