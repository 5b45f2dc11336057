/**
 * What the idempotency layer (SPEC §1) does not store: a request that failed after its work was
 * committed keeps its key linked to what it made, so the retry answers with that instead of
 * making it twice; and a 409 request_in_progress ("retry later") is an answer about that moment,
 * so the retry under the same key is run again rather than replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptSql } from '../src/db/client.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

/**
 * Runs `request` while the next transaction of the app fails the given way, then restores it:
 * `after-commit` — the work commits and the connection drops on the COMMIT's acknowledgement
 * (the request 500s with its work done); `before` — it fails before anything is written.
 */
async function withFailingTx<T>(how: 'after-commit' | 'before', request: () => Promise<T>): Promise<T> {
  const db = h.deps.db;
  const realTx = db.tx.bind(db);
  db.tx = async <R>(fn: (q: ScriptSql) => Promise<R>): Promise<R> => {
    db.tx = realTx;
    if (how === 'after-commit') await realTx(fn);
    throw new Error(how === 'after-commit' ? 'connection lost after COMMIT' : 'database went away');
  };
  try {
    return await request();
  } finally {
    db.tx = realTx;
  }
}

describe('a key whose request failed after committing its work', () => {
  it('is taken over by the retry, which answers with the endpoint made, and makes no second one', async () => {
    const c = await h.customer();
    const body = { url: 'https://hooks.example.com/orderdesk', events: ['order.paid'] };
    const headers = { 'idempotency-key': 'we-after-commit' };
    const first = await withFailingTx('after-commit', () =>
      h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers }),
    );
    expect(first.statusCode).toBe(500);
    const retry = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    const list = (await h.call('GET', '/v1/webhook-endpoints', { key: c.key })).json().data;
    expect(list).toHaveLength(1);
    expect(retry.json().id).toBe(list[0].id);
  });

  it("the same for an operator's endpoint (admin API)", async () => {
    const body = { url: 'https://ops.example.com/orderdesk', events: ['order.paid'] };
    const headers = { 'idempotency-key': 'admin-we-after-commit' };
    const before = (await h.call('GET', '/admin/v1/webhook-endpoints?limit=100', { admin: true })).json()
      .data;
    const first = await withFailingTx('after-commit', () =>
      h.call('POST', '/admin/v1/webhook-endpoints', { admin: true, body, headers }),
    );
    expect(first.statusCode).toBe(500);
    const retry = await h.call('POST', '/admin/v1/webhook-endpoints', { admin: true, body, headers });
    expect(retry.statusCode, retry.body).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().secret).toMatch(/^whsec_/);
    const after = (await h.call('GET', '/admin/v1/webhook-endpoints?limit=100', { admin: true })).json().data;
    expect(after).toHaveLength(before.length + 1);
  });

  it('a key that failed before linking anything is released: the retry runs once', async () => {
    const c = await h.customer();
    const body = { url: 'https://hooks.example.com/b', events: ['order.paid'] };
    const headers = { 'idempotency-key': 'we-before-commit' };
    const first = await withFailingTx('before', () =>
      h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers }),
    );
    expect(first.statusCode).toBe(500);
    const retry = await h.call('POST', '/v1/webhook-endpoints', { key: c.key, body, headers });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect((await h.call('GET', '/v1/webhook-endpoints', { key: c.key })).json().data).toHaveLength(1);
  });
});
