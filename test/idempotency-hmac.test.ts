/**
 * The idempotency request hash is an HMAC-SHA256 under a server secret kept in the database
 * (server_secrets), not a plain SHA-256 of the body: a stored hash of a card number must not be
 * reversible offline. Every instance on one database uses the same secret, so a key used on one
 * is replayed by another, and a key reused with another body is still 422.
 */
import { createHash, createHmac } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../src/db/client.ts';
import { readKey, serverSecret } from '../src/db/idempotency.ts';
import { buildApp } from '../src/http/app.ts';
import { requestHash, requestHashKey } from '../src/http/idempotency.ts';
import { type Harness, harness, makeDeps } from './support/harness.ts';

let h: Harness;
/** A second server instance on the same database: its own pool on PostgreSQL, the same handle on PGlite. */
let db2: Db;
let app2: FastifyInstance;
beforeAll(async () => {
  h = await harness();
  db2 = h.url ? await openPostgres(h.url, 4) : h.db;
  app2 = await buildApp((await makeDeps(db2)).deps);
  await app2.ready();
});
afterAll(async () => {
  await app2?.close();
  if (db2 && db2 !== h.db) await db2.close();
  await h?.close();
});

const CARD = { card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2030, cvc: '123' } };

function addCard(app: FastifyInstance, key: string, idem: string, body: unknown = CARD) {
  return app.inject({
    method: 'POST',
    url: '/v1/payment-methods',
    headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem },
    payload: body as object,
  });
}

function replayed(res: LightMyRequestResponse): boolean {
  return res.headers['idempotent-replayed'] === 'true';
}

async function storedSecret(): Promise<string> {
  const rows = await h.db.query<{ secret: string }>(
    `SELECT secret FROM server_secrets WHERE name = 'idempotency_request_hash'`,
  );
  expect(rows).toHaveLength(1);
  return rows[0]!.secret;
}

describe('the stored request hash', () => {
  it('is an HMAC under the database secret, not a plain SHA-256 of the card body', async () => {
    const c = await h.customer();
    const res = await addCard(h.app, c.key, 'card-1');
    expect(res.statusCode, res.body).toBe(200);
    const row = await readKey(h.db, c.id, 'card-1');
    expect(row?.requestHash).toMatch(/^[0-9a-f]{64}$/);

    const secret = await storedSecret();
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const canonical = '{"card":{"cvc":"123","exp_month":12,"exp_year":2030,"number":"4242 4242 4242 4242"}}';
    const signed = `POST /v1/payment-methods\n${canonical}`;
    for (const plain of [
      signed,
      canonical,
      JSON.stringify(CARD),
      '4242 4242 4242 4242',
      '4242424242424242',
    ]) {
      expect(row!.requestHash).not.toBe(createHash('sha256').update(plain).digest('hex'));
    }
    expect(row!.requestHash).toBe(
      createHmac('sha256', Buffer.from(secret, 'hex')).update(signed).digest('hex'),
    );
    expect(row!.requestHash).toBe(await requestHash(h.db, 'POST', '/v1/payment-methods', CARD));
  });

  it('the secret is made once per database: a second maker gets the first one', async () => {
    const secret = await storedSecret();
    expect((await requestHashKey(db2)).toString('hex')).toBe(secret);
    expect(await serverSecret(db2, 'idempotency_request_hash', 'f'.repeat(64))).toBe(secret);
    // two makers racing for a new secret agree on one
    const [a, b] = await Promise.all([
      serverSecret(h.db, 'test_race', 'a'.repeat(64)),
      serverSecret(db2, 'test_race', 'b'.repeat(64)),
    ]);
    expect(a).toBe(b);
    expect(['a'.repeat(64), 'b'.repeat(64)]).toContain(a);
  });
});

describe('two instances on one database', () => {
  it('a key used on one instance is replayed by the other, with the same body', async () => {
    const c = await h.customer();
    const first = await addCard(h.app, c.key, 'cross-card');
    expect(first.statusCode, first.body).toBe(200);
    const again = await addCard(app2, c.key, 'cross-card');
    expect(again.statusCode).toBe(200);
    expect(replayed(again)).toBe(true);
    expect(again.body).toBe(first.body);
    const list = await h.call('GET', '/v1/payment-methods', { key: c.key });
    expect(list.json().data).toHaveLength(1);
  });

  it('the same key with another body is 422 idempotency_key_reused on either instance', async () => {
    const c = await h.customer();
    expect((await addCard(app2, c.key, 'reuse-card')).statusCode).toBe(200);
    const other = { card: { ...CARD.card, number: '5555 5555 5555 4444' } };
    for (const app of [h.app, app2]) {
      const res = await addCard(app, c.key, 'reuse-card', other);
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    }
    const list = await h.call('GET', '/v1/payment-methods', { key: c.key });
    expect(list.json().data).toHaveLength(1);
  });
});
