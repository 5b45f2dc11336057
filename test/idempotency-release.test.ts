/**
 * What the idempotency layer (SPEC §1) does not store: a request that failed after its work was
 * committed keeps its key linked to what it made, so the retry answers with that instead of
 * making it twice; and a 409 request_in_progress ("retry later") is an answer about that moment,
 * so the retry under the same key is run again rather than replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/db/client.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

describe('a key whose request failed after committing its work', () => {
  it('is taken over by the retry, which answers with the endpoint made, and makes no second one', async () => {
    const c = await h.customer();
    const db = h.deps.db;
    const realTx = db.tx.bind(db);
    // the connection drops on the COMMIT's acknowledgement: the work is committed, the request 500s
    db.tx = async <T>(fn: (q: Sql) => Promise<T>): Promise<T> => {
      db.tx = realTx;
      await realTx(fn);
      throw new Error('connection lost after COMMIT');
    };
    const body = { url: 'https://hooks.example.com/orderdesk', events: ['order.paid'] };
    const headers = { 'idempotency-key': 'we-after-commit' };
    let first: Awaited<ReturnType<Harness['call']>>;
    try {
      first = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers });
    } finally {
      db.tx = realTx;
    }
    expect(first.statusCode).toBe(500);
    const retry = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const list = (await h.call('GET', '/v1/webhook-endpoints', { key: c.key })).json().data;
    expect(list).toHaveLength(1);
    expect(retry.json().id).toBe(list[0].id);
  });

  it("the same for an operator's endpoint (admin API)", async () => {
    const db = h.deps.db;
    const realTx = db.tx.bind(db);
    db.tx = async <T>(fn: (q: Sql) => Promise<T>): Promise<T> => {
      db.tx = realTx;
      await realTx(fn);
      throw new Error('connection lost after COMMIT');
    };
    const body = { url: 'https://ops.example.com/orderdesk', events: ['order.paid'] };
    const headers = { 'idempotency-key': 'admin-we-after-commit' };
    const before = (await h.call('GET', '/admin/v1/webhook-endpoints?limit=100', { admin: true })).json()
      .data;
    try {
      expect(
        (await h.call('POST', '/admin/v1/webhook-endpoints', { admin: true, body, headers })).statusCode,
      ).toBe(500);
    } finally {
      db.tx = realTx;
    }
    const retry = await h.call('POST', '/admin/v1/webhook-endpoints', { admin: true, body, headers });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().secret).toMatch(/^whsec_/);
    const after = (await h.call('GET', '/admin/v1/webhook-endpoints?limit=100', { admin: true })).json().data;
    expect(after).toHaveLength(before.length + 1);
  });

  it('a key that failed before linking anything is released: the retry runs once', async () => {
    const c = await h.customer();
    const db = h.deps.db;
    const realTx = db.tx.bind(db);
    db.tx = async () => {
      db.tx = realTx;
      throw new Error('database went away');
    };
    const body = { url: 'https://hooks.example.com/b', events: ['order.paid'] };
    const headers = { 'idempotency-key': 'we-before-commit' };
    try {
      expect((await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers })).statusCode).toBe(
        500,
      );
    } finally {
      db.tx = realTx;
    }
    const retry = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect((await h.call('GET', '/v1/webhook-endpoints', { key: c.key })).json().data).toHaveLength(1);
  });
});
