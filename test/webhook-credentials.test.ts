/**
 * Webhook events carry no credential: an `isp_batch.*` event's data has no proxy password (the
 * stored event, kept in the outbox for 3 days, and the delivered body alike), while
 * GET /v1/isp/batches/{id} still shows it to the owner.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';
import { receiverPool, runDeliverWebhooks, subscribe } from './support/webhook-receiver.ts';

let h: Harness;
const pool = receiverPool();
beforeAll(async () => {
  h = await harness();
  await schedulePeriodic(h.deps, { isp_expiry_sweep: jobKinds.isp_expiry_sweep! });
});
afterAll(async () => {
  await pool.closeAll();
  await h?.close();
});

const DAY_MS = 86_400_000;
const SEED = { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 };

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode).toBe(200);
}

async function getBatch(key: string, id: string) {
  const res = await h.call('GET', `/v1/isp/batches/${id}`, { key });
  expect(res.statusCode).toBe(200);
  return res.json();
}

async function storedEvents(accountId: string) {
  return h.db.query<{ type: string; data: Record<string, unknown>; text: string }>(
    `SELECT type, data, data::text AS text FROM events
     WHERE account_id = $1 AND type LIKE 'isp_batch.%' ORDER BY created_at, id`,
    [accountId],
  );
}

describe('isp_batch.* events leave the proxy password out', () => {
  it('ready and expiring events (subuser and rotated batch passwords): no password stored or sent; GET shows it', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const r = await pool.receiver();
    await subscribe(h, c.key, r, ['isp_batch.ready', 'isp_batch.expiring', 'isp_batch.expired']);
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 20 });
    const placed = await h.call('POST', '/v1/orders', { key: c.key, body: SEED });
    expect(placed.statusCode).toBe(200);
    const batchId = placed.json().details.batch_id as string;
    await advance(600);

    const ready = await getBatch(c.key, batchId);
    expect(ready).toMatchObject({ status: 'ready', password_source: 'subuser' });
    expect(ready.password).toEqual(expect.any(String));
    expect(ready.password.length).toBeGreaterThanOrEqual(8);

    // the batch's own password, then the 7-day reminder
    const rotated = await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key });
    expect(rotated.statusCode).toBe(200);
    const own = await getBatch(c.key, batchId);
    expect(own.password_source).toBe('batch');
    expect(own.password).not.toBe(ready.password);
    const remind7 = new Date(new Date(own.expires_at).getTime() - 7 * DAY_MS);
    await advance((remind7.getTime() - (await h.clock.now()).getTime()) / 1000);

    const stored = await storedEvents(c.id);
    expect(stored.map((e) => e.type)).toEqual(['isp_batch.ready', 'isp_batch.expiring']);
    for (const e of stored) {
      expect(e.data).toMatchObject({ id: batchId, object: 'isp_batch', username: own.username });
      expect(e.data).not.toHaveProperty('password');
      expect(e.text).not.toContain(ready.password);
      expect(e.text).not.toContain(own.password);
    }
    // apart from the password, the event shows the batch as GET does
    const { password: _password, ...withoutPassword } = await getBatch(c.key, batchId);
    expect(stored[1]!.data).toEqual(withoutPassword);

    await runDeliverWebhooks(h.deps);
    expect(r.got.map((g) => g.event.type)).toEqual(['isp_batch.ready', 'isp_batch.expiring']);
    for (const g of r.got) {
      expect(g.verified).toBe(true);
      expect(g.event.data.object).not.toHaveProperty('password');
      expect(g.raw).not.toContain(ready.password);
      expect(g.raw).not.toContain(own.password);
    }

    // the owner still reads it
    expect((await getBatch(c.key, batchId)).password).toBe(own.password);
  });

  it('the migration strips the password from isp_batch events already in the outbox', async () => {
    const c = await h.customer();
    const at = await h.clock.now();
    await h.db.query(
      `INSERT INTO events (id, account_id, type, data, created_at) VALUES
         ('evt_old_batch', $1, 'isp_batch.ready', '{"id":"bat_x","object":"isp_batch","username":"u","password":"hunter2hunter2"}', $2),
         ('evt_old_order', $1, 'order.paid', '{"id":"ord_x","object":"order","password":"kept"}', $2)`,
      [c.id, at],
    );
    const script = fs.readFileSync(
      new URL('../src/db/migrations/016_server_secrets.sql', import.meta.url),
      'utf8',
    );
    const scrub = script.split('\n').find((l) => l.startsWith('UPDATE events'));
    expect(scrub).toBeDefined();
    await h.db.query(scrub!.replace(/;\s*$/, ''));
    const rows = await h.db.query<{ id: string; data: Record<string, unknown> }>(
      `SELECT id, data FROM events WHERE id IN ('evt_old_batch', 'evt_old_order') ORDER BY id`,
    );
    expect(rows).toEqual([
      { id: 'evt_old_batch', data: { id: 'bat_x', object: 'isp_batch', username: 'u' } },
      // only isp_batch events are touched
      { id: 'evt_old_order', data: { id: 'ord_x', object: 'order', password: 'kept' } },
    ]);
  });
});
