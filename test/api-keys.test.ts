/**
 * The customer's own API keys (SPEC §1; the console's API keys page): a key is shown whole once,
 * listed by its prefix afterwards, works at once and is 401 after it is revoked; another
 * account's key is 404 and a revoked key cannot be revoked twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

describe('/v1/api-keys', () => {
  it('creates a key shown once, lists it by prefix, and a revoked key stops working', async () => {
    const c = await h.customer();
    const created = await h.call('POST', '/v1/api-keys', { key: c.key, body: { name: 'CI' } });
    expect(created.statusCode).toBe(200);
    const k = created.json();
    expect(k).toMatchObject({ object: 'api_key', name: 'CI' });
    expect(k.id).toMatch(/^key_[0-9A-Z]{26}$/);
    expect(typeof k.key).toBe('string');
    expect(k.key.length).toBeGreaterThanOrEqual(20);

    // the new key works as a credential
    expect((await h.call('GET', '/v1/account', { key: k.key })).statusCode).toBe(200);

    const list = await h.call('GET', '/v1/api-keys', { key: c.key });
    expect(list.statusCode).toBe(200);
    const body = list.json();
    expect(body).toMatchObject({ object: 'list', has_more: false });
    const listed = body.data.find((x: { id: string }) => x.id === k.id);
    expect(listed).toMatchObject({ object: 'api_key', account: c.id, name: 'CI', revoked_at: null });
    expect(k.key.startsWith(listed.key_prefix)).toBe(true);
    // never the key itself after creation
    expect(JSON.stringify(body)).not.toContain(k.key);
    // the harness's own key is listed too, newest first
    expect(body.data.length).toBe(2);
    expect(body.data[0].id).toBe(k.id);

    const revoked = await h.call('DELETE', `/v1/api-keys/${k.id}`, { key: c.key });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: k.id, object: 'api_key' });
    expect(revoked.json().revoked_at).not.toBeNull();
    expect((await h.call('GET', '/v1/account', { key: k.key })).statusCode).toBe(401);
  });

  it('a key without a name, or with a body left out', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/api-keys', { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBeNull();
  });

  it('refuses a bad body, a second revocation and an unknown id', async () => {
    const c = await h.customer();
    const bad = await h.call('POST', '/v1/api-keys', { key: c.key, body: { name: 'x'.repeat(201) } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
    const extra = await h.call('POST', '/v1/api-keys', { key: c.key, body: { scope: 'all' } });
    expect(extra.statusCode).toBe(400);

    const k = (await h.call('POST', '/v1/api-keys', { key: c.key, body: { name: 'once' } })).json();
    expect((await h.call('DELETE', `/v1/api-keys/${k.id}`, { key: c.key })).statusCode).toBe(200);
    const again = await h.call('DELETE', `/v1/api-keys/${k.id}`, { key: c.key });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');

    const unknown = await h.call('DELETE', '/v1/api-keys/key_00000000000000000000000000', { key: c.key });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.code).toBe('not_found');
  });

  it('needs a credential', async () => {
    expect((await h.call('GET', '/v1/api-keys')).statusCode).toBe(401);
    expect((await h.call('POST', '/v1/api-keys', { body: {} })).statusCode).toBe(401);
  });

  it("another account's key is 404: not listed, not revoked", async () => {
    const a = await h.customer();
    const b = await h.customer();
    const ak = (await h.call('POST', '/v1/api-keys', { key: a.key, body: { name: 'a' } })).json();

    const listB = (await h.call('GET', '/v1/api-keys', { key: b.key })).json();
    expect(listB.data.map((x: { id: string }) => x.id)).not.toContain(ak.id);

    const res = await h.call('DELETE', `/v1/api-keys/${ak.id}`, { key: b.key });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    // still A's working key
    expect((await h.call('GET', '/v1/account', { key: ak.key })).statusCode).toBe(200);
  });
});
