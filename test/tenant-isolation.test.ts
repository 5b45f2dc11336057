/**
 * Tenant isolation (SPEC §1): another account's objects are 404 not_found, never listed, and never
 * usable as a pagination cursor — one account learns nothing about another's orders.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
let a: { id: string; key: string };
let b: { id: string; key: string };
let aOrders: string[];
let bOrders: string[];

async function place(key: string, gb: number): Promise<string> {
  const res = await h.call('POST', '/v1/orders', { key, body: { product: 'residential', gb } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().id;
}

beforeAll(async () => {
  h = await harness();
  a = await h.customer({ balanceUsd: 1000 });
  b = await h.customer({ balanceUsd: 1000 });
  // interleaved in time, so a leak through a shared (created_at, id) cursor would show
  aOrders = [];
  bOrders = [];
  for (let i = 1; i <= 3; i++) {
    aOrders.push(await place(a.key, i));
    await h.clock.advance(60);
    bOrders.push(await place(b.key, i));
    await h.clock.advance(60);
  }
});
afterAll(async () => {
  await h?.close();
});

describe("account B and account A's orders", () => {
  it("B cannot read A's order: 404 not_found, the same as an id that does not exist", async () => {
    for (const id of aOrders) {
      const res = await h.call('GET', `/v1/orders/${id}`, { key: b.key });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'not_found', param: 'id' });
      expect(res.body).not.toContain(a.id);
    }
    const missing = await h.call('GET', '/v1/orders/ord_01J00000000000000000000000', { key: b.key });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('not_found');
    // A still reads its own
    expect((await h.call('GET', `/v1/orders/${aOrders[0]}`, { key: a.key })).statusCode).toBe(200);
  });

  it("B's list shows only B's orders, newest first", async () => {
    const res = await h.call('GET', '/v1/orders', { key: b.key });
    expect(res.statusCode).toBe(200);
    const ids = res.json().data.map((o: { id: string }) => o.id);
    expect(ids).toEqual([...bOrders].reverse());
    expect(res.body).not.toContain(a.id);
  });

  it("filtering B's list by A's order id finds nothing", async () => {
    const res = await h.call('GET', `/v1/orders?id=${aOrders[1]}`, { key: b.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ object: 'list', data: [], has_more: false });
  });

  it("A's order id as B's starting_after cursor reads nothing, whatever the other filters", async () => {
    for (const cursor of aOrders) {
      for (const query of ['', '&limit=1', '&product=residential', '&status=completed', '&limit=100']) {
        const res = await h.call('GET', `/v1/orders?starting_after=${cursor}${query}`, { key: b.key });
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual({ object: 'list', data: [], has_more: false });
      }
    }
  });

  it("B's own cursor pages only through B's orders", async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const res = await h.call('GET', `/v1/orders?limit=1${after ? `&starting_after=${after}` : ''}`, {
        key: b.key,
      });
      const page = res.json();
      seen.push(...page.data.map((o: { id: string }) => o.id));
      if (!page.has_more) break;
      after = page.data[0].id;
    }
    expect(seen).toEqual([...bOrders].reverse());
  });

  it("B cannot read A's cash ledger entries through a cursor either", async () => {
    const aTx = await h.call('GET', '/v1/billing/transactions', { key: a.key });
    const aIds = aTx.json().data.map((t: { id: string }) => t.id);
    expect(aIds.length).toBeGreaterThan(0);
    for (const id of aIds) {
      const res = await h.call('GET', `/v1/billing/transactions?starting_after=${id}`, { key: b.key });
      expect(res.statusCode).toBe(200);
      expect(res.json().data).toEqual([]);
    }
    const bTx = await h.call('GET', '/v1/billing/transactions?limit=100', { key: b.key });
    expect(bTx.body).not.toContain(a.id);
    for (const id of aIds) expect(bTx.body).not.toContain(id);
  });

  it("B's Idempotency-Key never replays A's response", async () => {
    const body = { product: 'residential', gb: 7 };
    const ra = await h.call('POST', '/v1/orders', {
      key: a.key,
      body,
      headers: { 'idempotency-key': 'k-7' },
    });
    const rb = await h.call('POST', '/v1/orders', {
      key: b.key,
      body,
      headers: { 'idempotency-key': 'k-7' },
    });
    expect(ra.statusCode).toBe(200);
    expect(rb.statusCode).toBe(200);
    expect(rb.headers['idempotent-replayed']).toBeUndefined();
    expect(rb.json().id).not.toBe(ra.json().id);
    expect(rb.body).not.toContain(ra.json().id);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
