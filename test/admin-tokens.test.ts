/**
 * Managed operator tokens (SPEC §1: "the bootstrap token from configuration, then managed ones"):
 * an operator creates one (shown once, stored as its sha256), it opens /admin/v1 and never /v1,
 * the list never shows a token, and a revoked one is 401 on its next request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/app/access/secrets.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const withToken = (token: string) => ({ authorization: `Bearer ${token}` });

describe('managed admin tokens', () => {
  it('created with the bootstrap token, shown once, opens the admin API, not the customer API; revoked → 401', async () => {
    const res = await h.call('POST', '/admin/v1/admin-tokens', {
      admin: true,
      body: { name: 'billing-ops' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const t = res.json();
    expect(t).toMatchObject({ object: 'admin_token', name: 'billing-ops', revoked_at: null });
    expect(t.id).toMatch(/^adm_[0-9A-Z]{26}$/);
    expect(t.token).toMatch(/^od_admin_[A-Za-z0-9]{40}$/);
    const stored = await h.db.query<{ token_hash: string }>(
      'SELECT token_hash FROM admin_tokens WHERE id = $1',
      [t.id],
    );
    expect(stored).toEqual([{ token_hash: sha256Hex(t.token) }]);

    // it works as an operator: it can make an account and look it up
    const acc = await h.call('POST', '/admin/v1/accounts', {
      headers: withToken(t.token),
      body: { email: 'made-by-token@example.com', name: 'Token Made' },
    });
    expect(acc.statusCode, acc.body).toBe(200);
    // and never as a customer
    expect((await h.call('GET', '/v1/account', { headers: withToken(t.token) })).statusCode).toBe(401);

    const list = await h.call('GET', '/admin/v1/admin-tokens', { admin: true });
    expect(list.json().data.map((x: { id: string }) => x.id)).toContain(t.id);
    expect(JSON.stringify(list.json())).not.toContain(t.token);

    const revoked = await h.call('DELETE', `/admin/v1/admin-tokens/${t.id}`, { admin: true });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json()).toMatchObject({ id: t.id, revoked_at: (await h.clock.now()).toISOString() });
    expect(revoked.json().token).toBeUndefined();
    const after = await h.call('GET', `/admin/v1/accounts/${acc.json().id}`, { headers: withToken(t.token) });
    expect(after.statusCode).toBe(401);
    expect((await h.call('DELETE', `/admin/v1/admin-tokens/${t.id}`, { admin: true })).statusCode).toBe(409);
    expect(
      (await h.call('DELETE', '/admin/v1/admin-tokens/adm_01HZZZZZZZZZZZZZZZZZZZZZZZ', { admin: true }))
        .statusCode,
    ).toBe(404);
  });

  it('a customer key cannot create, list or revoke admin tokens (403)', async () => {
    const c = await h.customer();
    expect((await h.call('POST', '/admin/v1/admin-tokens', { key: c.key, body: {} })).statusCode).toBe(403);
    expect((await h.call('GET', '/admin/v1/admin-tokens', { key: c.key })).statusCode).toBe(403);
    expect((await h.call('POST', '/admin/v1/admin-tokens', { body: {} })).statusCode).toBe(401);
  });
});
