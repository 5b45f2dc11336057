import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';
import { uniqueName } from './support/unique.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function mainSubuser(key: string) {
  const list = await h.call('GET', '/v1/subusers', { key });
  return list.json().data.find((s: { is_main: boolean }) => s.is_main);
}

describe('subusers (SPEC §2)', () => {
  it('every account has one main subuser with proxy credentials', async () => {
    const c = await h.customer();
    const res = await h.call('GET', '/v1/subusers', { key: c.key });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ object: 'list', has_more: false });
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      object: 'subuser',
      is_main: true,
      status: 'active',
      limited: false,
      usage: {
        residential: { used_gb: 0, cap_gb: null, limited: false },
        mobile: { used_gb: 0, cap_gb: null, limited: false },
      },
    });
    expect(body.data[0].id).toMatch(/^sub_[0-9A-Z]{26}$/);
    expect(body.data[0].username).toMatch(/^[a-z0-9_-]{3,32}$/);
    expect(body.data[0].password.length).toBeGreaterThanOrEqual(8);
  });

  it('creates a subuser with a chosen username, password and caps', async () => {
    const c = await h.customer();
    const username = uniqueName('team');
    const res = await h.call('POST', '/v1/subusers', {
      key: c.key,
      body: { name: 'Scraping team', username, password: 'S3cret-pass', caps: { residential: 1.5 } },
    });
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s).toMatchObject({
      object: 'subuser',
      name: 'Scraping team',
      username,
      password: 'S3cret-pass',
      is_main: false,
      status: 'active',
      limited: false,
      usage: {
        residential: { used_gb: 0, cap_gb: 1.5, cap_bytes: 1_500_000_000, limited: false },
        mobile: { used_gb: 0, cap_gb: null, cap_bytes: null, limited: false },
      },
    });
    const got = await h.call('GET', `/v1/subusers/${s.id}`, { key: c.key });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(s);
  });

  it('generates a username and an 8–64 character password when none is given', async () => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/subusers', { key: c.key });
    expect(res.statusCode).toBe(200);
    const s = res.json();
    expect(s.username).toMatch(/^[a-z0-9_-]{3,32}$/);
    expect(s.password).toMatch(/^[A-Za-z0-9._~-]{8,64}$/);
    expect(s.name).toBeNull();
  });

  it('a username is unique across the system: 409 username_taken, also from another account', async () => {
    const a = await h.customer();
    const b = await h.customer();
    const username = uniqueName('shared');
    expect((await h.call('POST', '/v1/subusers', { key: a.key, body: { username } })).statusCode).toBe(200);
    const again = await h.call('POST', '/v1/subusers', { key: b.key, body: { username } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'username_taken', param: 'username' });
    const main = await mainSubuser(a.key);
    const clash = await h.call('POST', '/v1/subusers', { key: b.key, body: { username: main.username } });
    expect(clash.json().error.code).toBe('username_taken');
    expect((await h.call('GET', '/v1/subusers', { key: b.key })).json().data).toHaveLength(1);
  });

  it.each([
    ['a too short username', { username: 'ab' }],
    ['an upper-case username', { username: 'Alice' }],
    ['a 33 character username', { username: 'x'.repeat(33) }],
    ['a username with a space', { username: 'a b c' }],
    ['the reserved sub_ prefix', { username: 'sub_team' }],
    ['a 7 character password', { password: 'short12' }],
    ['a 65 character password', { password: 'x'.repeat(65) }],
    ['a password with a colon', { password: 'abcd:efgh' }],
    ['a negative cap', { caps: { residential: -1 } }],
    ['a cap with 4 decimals', { caps: { residential: 1.0001 } }],
    ['a cap given as a string', { caps: { residential: '1' } }],
    ['a cap on an unknown product', { caps: { isp: 1 } }],
    ['an unknown field', { role: 'admin' }],
    ['an empty name', { name: '' }],
  ])('%s is 400 invalid_request', async (_what, body) => {
    const c = await h.customer();
    const res = await h.call('POST', '/v1/subusers', { key: c.key, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect((await h.call('GET', '/v1/subusers', { key: c.key })).json().data).toHaveLength(1);
  });

  it('lists subusers newest first with cursor pagination', async () => {
    const c = await h.customer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await h.clock.advance(1);
      ids.push((await h.call('POST', '/v1/subusers', { key: c.key, body: { name: `t${i}` } })).json().id);
    }
    const first = await h.call('GET', '/v1/subusers?limit=2', { key: c.key });
    expect(first.json().has_more).toBe(true);
    expect(first.json().data.map((s: { id: string }) => s.id)).toEqual([ids[2], ids[1]]);
    const rest = await h.call('GET', `/v1/subusers?limit=2&starting_after=${ids[1]}`, { key: c.key });
    expect(rest.json().has_more).toBe(false);
    expect(rest.json().data.map((s: { id: string }) => s.id)[0]).toBe(ids[0]);
    expect(rest.json().data[1].is_main).toBe(true);
    expect((await h.call('GET', '/v1/subusers?limit=0', { key: c.key })).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/subusers?limit=101', { key: c.key })).statusCode).toBe(400);
  });

  it('PATCH changes name, password, status and caps; null removes a cap, absent leaves it', async () => {
    const c = await h.customer();
    const s = (
      await h.call('POST', '/v1/subusers', { key: c.key, body: { caps: { residential: 2, mobile: 3 } } })
    ).json();
    await h.clock.advance(60);
    const res = await h.call('PATCH', `/v1/subusers/${s.id}`, {
      key: c.key,
      body: { name: 'Renamed', password: 'N3w.password', status: 'disabled', caps: { residential: null } },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: s.id,
      name: 'Renamed',
      password: 'N3w.password',
      status: 'disabled',
      usage: { residential: { cap_gb: null }, mobile: { cap_gb: 3 } },
    });
    expect(res.json().updated_at).not.toBe(s.updated_at);
    const back = await h.call('PATCH', `/v1/subusers/${s.id}`, {
      key: c.key,
      body: { status: 'active', name: null, caps: { mobile: 0.25 } },
    });
    expect(back.json()).toMatchObject({
      name: null,
      password: 'N3w.password',
      status: 'active',
      usage: { mobile: { cap_gb: 0.25, cap_bytes: 250_000_000 } },
    });
    const empty = await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body: {} });
    expect(empty.statusCode).toBe(200);
    expect(empty.json().username).toBe(s.username);
  });

  it('PATCH with bad input is 400 and changes nothing', async () => {
    const c = await h.customer();
    const s = (await h.call('POST', '/v1/subusers', { key: c.key })).json();
    for (const body of [
      { status: 'deleted' },
      { password: 'short' },
      { caps: { residential: -2 } },
      { username: 'renamed-user' },
    ]) {
      const res = await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    expect((await h.call('GET', `/v1/subusers/${s.id}`, { key: c.key })).json()).toEqual(s);
  });

  it('the main subuser cannot be disabled: 409 invalid_state', async () => {
    const c = await h.customer();
    const main = await mainSubuser(c.key);
    const res = await h.call('PATCH', `/v1/subusers/${main.id}`, {
      key: c.key,
      body: { status: 'disabled' },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'invalid_state', param: 'status' });
    expect((await mainSubuser(c.key)).status).toBe('active');
    const capped = await h.call('PATCH', `/v1/subusers/${main.id}`, {
      key: c.key,
      body: { caps: { residential: 10 } },
    });
    expect(capped.statusCode).toBe(200);
    expect(capped.json().usage.residential.cap_gb).toBe(10);
  });

  it("another account's subuser is 404 on GET and PATCH and absent from lists", async () => {
    const a = await h.customer();
    const b = await h.customer();
    const s = (await h.call('POST', '/v1/subusers', { key: a.key, body: { password: 'Original-1' } })).json();
    const get = await h.call('GET', `/v1/subusers/${s.id}`, { key: b.key });
    expect(get.statusCode).toBe(404);
    expect(get.json().error.code).toBe('not_found');
    const patch = await h.call('PATCH', `/v1/subusers/${s.id}`, {
      key: b.key,
      body: { password: 'Hijacked-1', status: 'disabled' },
    });
    expect(patch.statusCode).toBe(404);
    expect((await h.call('GET', `/v1/subusers/${s.id}`, { key: a.key })).json()).toMatchObject({
      password: 'Original-1',
      status: 'active',
    });
    const list = await h.call('GET', `/v1/subusers?starting_after=${s.id}`, { key: b.key });
    expect(list.json().data).toEqual([]);
    expect((await h.call('GET', '/v1/subusers/sub_nope', { key: a.key })).statusCode).toBe(404);
  });

  it('needs an API key: 401 without one; admin tokens do not act as a customer', async () => {
    expect((await h.call('GET', '/v1/subusers')).statusCode).toBe(401);
    expect((await h.call('POST', '/v1/subusers', { body: {} })).statusCode).toBe(401);
    expect((await h.call('GET', '/v1/subusers', { admin: true })).statusCode).toBe(401);
  });

  it('POST with an Idempotency-Key creates one subuser and replays it', async () => {
    const c = await h.customer();
    const headers = { 'idempotency-key': uniqueName('idem') };
    const body = { name: 'once' };
    const first = await h.call('POST', '/v1/subusers', { key: c.key, body, headers });
    const second = await h.call('POST', '/v1/subusers', { key: c.key, body, headers });
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    expect((await h.call('GET', '/v1/subusers', { key: c.key })).json().data).toHaveLength(2);
  });

  it('concurrent creates with one username: exactly one wins, the others are 409 username_taken', async () => {
    const accounts = await Promise.all([h.customer(), h.customer(), h.customer()]);
    const username = uniqueName('race');
    const results = await Promise.all(
      accounts.flatMap((c) =>
        [1, 2].map(() => h.call('POST', '/v1/subusers', { key: c.key, body: { username } })),
      ),
    );
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409).map((r) => r.json().error.code)).toEqual(
      Array(5).fill('username_taken'),
    );
  });
});
