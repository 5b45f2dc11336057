/**
 * ISP batch routes (SPEC §6): list and retrieve
 * with allowances, the IP list in plain, csv and json, rotate-password, rebind to another
 * subuser, auto-renew, and tenant isolation on every route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const DAY_MS = 86_400_000;
let asn = 64700;

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode).toBe(200);
}

/** A batch of `quantity` IPs for the customer, ready unless `ready: false`. */
async function batchFor(key: string, opts: { quantity?: number; ready?: boolean } = {}) {
  asn += 1;
  const quantity = opts.quantity ?? 5;
  await addStock(h.db, { country: 'us', city: 'newyork', asn, count: quantity });
  const res = await h.call('POST', '/v1/orders', {
    key,
    body: { product: 'isp', country: 'us', city: 'newyork', asn, quantity, months: 1 },
  });
  expect(res.statusCode).toBe(200);
  const o = res.json();
  if (opts.ready !== false) await advance(120);
  return { orderId: o.id as string, batchId: o.details.batch_id as string, asn };
}

async function mainSubuser(key: string) {
  return (await h.call('GET', '/v1/subusers', { key }))
    .json()
    .data.find((s: { is_main: boolean }) => s.is_main);
}

async function newSubuser(key: string) {
  const res = await h.call('POST', '/v1/subusers', { key, body: { name: 'team b' } });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const get = (key: string, id: string) => h.call('GET', `/v1/isp/batches/${id}`, { key });
const ips = (key: string, id: string, format = 'plain') =>
  h.call('GET', `/v1/isp/batches/${id}/ips?format=${format}`, { key });

describe('GET /v1/isp/batches/{id}', () => {
  it('a ready batch shows its place, term, subuser, credentials and allowances (unlimited for 14 days, 10% of 20 = 2 after)', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const t0 = await h.clock.now();
    const { orderId, batchId, asn } = await batchFor(c.key, { quantity: 20 });
    const main = await mainSubuser(c.key);
    const res = await get(c.key, batchId);
    expect(res.statusCode).toBe(200);
    const expires = new Date(t0);
    expires.setUTCMonth(expires.getUTCMonth() + 1);
    expect(res.json()).toEqual({
      id: batchId,
      object: 'isp_batch',
      status: 'ready',
      order_id: orderId,
      subuser: main.id,
      username: main.username,
      password: main.password,
      password_source: 'subuser',
      country: 'us',
      city: 'newyork',
      asn,
      quantity: 20,
      months: 1,
      auto_renew: false,
      substitution: null,
      period_started_at: t0.toISOString(),
      expires_at: expires.toISOString(),
      grace_until: new Date(expires.getTime() + 72 * 3600_000).toISOString(),
      ready_at: new Date(t0.getTime() + 120_000).toISOString(),
      released_at: null,
      allowances: {
        replacements_used: 0,
        replacements_left: null,
        replacements_quota: 2,
        unlimited_until: new Date(t0.getTime() + 14 * DAY_MS).toISOString(),
        refresh_used: false,
        resets_at: expires.toISOString(),
      },
      created_at: t0.toISOString(),
      updated_at: expect.any(String),
    });
  });

  it('a batch still provisioning is shown, and its IP list is 409 invalid_state', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key, { ready: false });
    expect((await get(c.key, batchId)).json()).toMatchObject({ status: 'provisioning', ready_at: null });
    const list = await ips(c.key, batchId);
    expect(list.statusCode).toBe(409);
    expect(list.json().error).toMatchObject({ code: 'invalid_state', status: 'provisioning' });
  });

  it('an unknown batch is 404 not_found', async () => {
    const c = await h.customer();
    const res = await get(c.key, 'bat_01JZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'not_found', param: 'id' });
  });
});

describe('GET /v1/isp/batches', () => {
  it('lists the account’s batches newest first with cursor pagination and a status filter', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const a = await batchFor(c.key);
    const b = await batchFor(c.key);
    const waiting = await batchFor(c.key, { ready: false });
    const all = await h.call('GET', '/v1/isp/batches', { key: c.key });
    expect(all.statusCode).toBe(200);
    expect(all.json()).toMatchObject({ object: 'list', has_more: false });
    expect(all.json().data.map((x: { id: string }) => x.id)).toEqual([waiting.batchId, b.batchId, a.batchId]);

    const p1 = (await h.call('GET', '/v1/isp/batches?limit=2', { key: c.key })).json();
    expect(p1.data.map((x: { id: string }) => x.id)).toEqual([waiting.batchId, b.batchId]);
    expect(p1.has_more).toBe(true);
    const p2 = (
      await h.call('GET', `/v1/isp/batches?limit=2&starting_after=${b.batchId}`, { key: c.key })
    ).json();
    expect(p2.data.map((x: { id: string }) => x.id)).toEqual([a.batchId]);
    expect(p2.has_more).toBe(false);

    const ready = (await h.call('GET', '/v1/isp/batches?status=ready', { key: c.key })).json();
    expect(ready.data.map((x: { id: string }) => x.id)).toEqual([b.batchId, a.batchId]);
    expect(ready.data[0].allowances.replacements_quota).toBe(1);

    const bad = await h.call('GET', '/v1/isp/batches?status=bogus', { key: c.key });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
  });
});

describe('GET /v1/isp/batches/{id}/ips', () => {
  it('plain is ip:port:username:password a line; csv has a header and CRLF; json is an array', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId, asn } = await batchFor(c.key);
    const main = await mainSubuser(c.key);

    const plain = await ips(c.key, batchId);
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    const lines = plain.body.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(5);
    for (const l of lines)
      expect(l).toMatch(new RegExp(`^10\\.\\d+\\.\\d+\\.\\d+:8000:${main.username}:${main.password}$`));
    // no format is plain
    expect((await h.call('GET', `/v1/isp/batches/${batchId}/ips`, { key: c.key })).body).toBe(plain.body);

    const csv = await ips(c.key, batchId, 'csv');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const rows = csv.body.split('\r\n');
    expect(rows.pop()).toBe('');
    expect(rows[0]).toBe('ip,port,username,password,country,city,asn');
    expect(rows).toHaveLength(6);
    const [ip] = lines[0]!.split(':');
    expect(rows[1]).toBe(`${ip},8000,${main.username},${main.password},us,newyork,${asn}`);

    const json = await ips(c.key, batchId, 'json');
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    const items = json.json();
    expect(items).toHaveLength(5);
    expect(items[0]).toEqual({
      id: expect.stringMatching(/^ip_/),
      ip,
      port: 8000,
      username: main.username,
      password: main.password,
      country: 'us',
      city: 'newyork',
      asn,
    });
  });

  it('an unknown format is 400 invalid_request', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    const res = await ips(c.key, batchId, 'xml');
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'format' });
  });
});

describe('POST /v1/isp/batches/{id}/rotate-password', () => {
  it('gives the batch a fresh random password that the list uses; the subuser keeps its own', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    const main = await mainSubuser(c.key);
    const res = await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b).toMatchObject({ id: batchId, username: main.username, password_source: 'batch' });
    expect(b.password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(b.password).not.toBe(main.password);
    const lines = (await ips(c.key, batchId)).body.trimEnd().split('\n');
    for (const l of lines) expect(l.endsWith(`:${main.username}:${b.password}`)).toBe(true);
    expect((await mainSubuser(c.key)).password).toBe(main.password);

    const again = (await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key })).json();
    expect(again.password).not.toBe(b.password);
  });

  it('with an Idempotency-Key a repeat returns the same password and rotates once', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    const headers = { 'idempotency-key': `rotate-${batchId}` };
    const first = await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key, headers });
    const second = await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, {
      key: c.key,
      headers,
    });
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().password).toBe(first.json().password);
    expect((await get(c.key, batchId)).json().password).toBe(first.json().password);
  });

  it('a released batch is 409 invalid_state', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    await h.db.query(`UPDATE isp_batches SET status = 'released', released_at = updated_at WHERE id = $1`, [
      batchId,
    ]);
    const res = await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('invalid_state');
    const patch = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { auto_renew: true },
    });
    expect(patch.statusCode).toBe(409);
  });
});

describe('PATCH /v1/isp/batches/{id}', () => {
  it("rebinding to another subuser switches the proxies to that subuser's username and password, clearing a rotated one", async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key });
    const team = await newSubuser(c.key);
    const res = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { subuser: team.id },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      subuser: team.id,
      username: team.username,
      password: team.password,
      password_source: 'subuser',
    });
    const lines = (await ips(c.key, batchId)).body.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    for (const l of lines) expect(l.endsWith(`:${team.username}:${team.password}`)).toBe(true);
  });

  it('binding the subuser it already has changes nothing (a rotated password stays)', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    const rotated = (
      await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key })
    ).json();
    const res = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { subuser: rotated.subuser },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ password: rotated.password, password_source: 'batch' });
  });

  it('auto_renew switches on and off', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    const on = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { auto_renew: true },
    });
    expect(on.json().auto_renew).toBe(true);
    expect((await get(c.key, batchId)).json().auto_renew).toBe(true);
    const off = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { auto_renew: false },
    });
    expect(off.json().auto_renew).toBe(false);
  });

  it("another account's subuser is 404 not_found and the batch stays bound as it was", async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const other = await h.customer();
    const { batchId } = await batchFor(c.key);
    const foreign = await newSubuser(other.key);
    const res = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { subuser: foreign.id, auto_renew: true },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: 'not_found', param: 'subuser' });
    const b = (await get(c.key, batchId)).json();
    expect(b.subuser).toBe((await mainSubuser(c.key)).id);
    expect(b.auto_renew).toBe(false);
  });

  it('a disabled subuser is 409 invalid_state', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(c.key);
    const team = await newSubuser(c.key);
    const dis = await h.call('PATCH', `/v1/subusers/${team.id}`, {
      key: c.key,
      body: { status: 'disabled' },
    });
    expect(dis.statusCode).toBe(200);
    const res = await h.call('PATCH', `/v1/isp/batches/${batchId}`, {
      key: c.key,
      body: { subuser: team.id },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'invalid_state', param: 'subuser' });
  });

  it.each([[{ password: 'x' }], [{ subuser: 5 }], [{ auto_renew: 'yes' }]])(
    'a bad body %j is 400 invalid_request',
    async (body) => {
      const c = await h.customer({ balanceUsd: 100, kyc: true });
      const { batchId } = await batchFor(c.key, { ready: false });
      const res = await h.call('PATCH', `/v1/isp/batches/${batchId}`, { key: c.key, body });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    },
  );
});

describe('tenant isolation', () => {
  it("another account's batch is 404 not_found on every route and absent from its list", async () => {
    const owner = await h.customer({ balanceUsd: 100, kyc: true });
    const other = await h.customer({ balanceUsd: 100, kyc: true });
    const { batchId } = await batchFor(owner.key);
    const before = (await get(owner.key, batchId)).json();
    const otherSub = await newSubuser(other.key);
    for (const res of [
      await get(other.key, batchId),
      await ips(other.key, batchId),
      await ips(other.key, batchId, 'csv'),
      await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: other.key }),
      await h.call('PATCH', `/v1/isp/batches/${batchId}`, { key: other.key, body: { auto_renew: true } }),
      await h.call('PATCH', `/v1/isp/batches/${batchId}`, { key: other.key, body: { subuser: otherSub.id } }),
    ]) {
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect((await h.call('GET', '/v1/isp/batches', { key: other.key })).json().data).toEqual([]);
    const cursor = await h.call('GET', `/v1/isp/batches?starting_after=${batchId}`, { key: other.key });
    expect(cursor.json()).toMatchObject({ data: [], has_more: false });
    // nothing changed for the owner
    expect((await get(owner.key, batchId)).json()).toEqual(before);
  });
});

// last: moves the shared clock two weeks on
describe('allowances after the first 14 days', () => {
  it('replacements left = ceil(10% of 20) − the counted replacements of this period', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const { batchId } = await batchFor(c.key, { quantity: 20 });
    const expiresAt = (await get(c.key, batchId)).json().expires_at;
    await advance(15 * 86_400);
    const now = await h.clock.now();
    await h.db.query(
      `INSERT INTO isp_replacements (id, batch_id, old_ip_id, new_ip_id, reason, free, counts_toward_quota, at)
       VALUES ('r1', $1, 'ip_a', 'ip_b', 'slow', true, true, $2), ('r2', $1, 'ip_c', 'ip_d', 'slow', true, false, $2)`,
      [batchId, now],
    );
    const b = (await get(c.key, batchId)).json();
    expect(b.allowances).toEqual({
      replacements_used: 1,
      replacements_left: 1,
      replacements_quota: 2,
      unlimited_until: null,
      refresh_used: false,
      resets_at: expiresAt,
    });
  });
});
