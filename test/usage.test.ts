import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const GB = 1_000_000_000;
const AT = '2026-05-28T09:59:00Z';
let n = 0;
const lineId = () => `gw1-${++n}-${Math.random().toString(36).slice(2, 8)}`;

type Product = 'residential' | 'mobile';
const line = (subuser: string, bytes: number, product: Product = 'residential', id = lineId()) => ({
  id,
  subuser,
  product,
  bytes,
  at: AT,
});
const ingest = (lines: unknown[]) => h.call('POST', '/admin/v1/usage', { admin: true, body: { lines } });
const authorize = (username: string, product: Product = 'residential') =>
  h.call('GET', `/admin/v1/gateway/authorize?username=${encodeURIComponent(username)}&product=${product}`, {
    admin: true,
  });

async function mainSubuser(key: string) {
  const list = await h.call('GET', '/v1/subusers', { key });
  return list.json().data.find((s: { is_main: boolean }) => s.is_main) as { id: string; username: string };
}

/** A customer who bought `gb` GB of residential traffic (4.50 a GB). */
async function buyer(gb: number) {
  const c = await h.customer({ balanceUsd: 4.5 * gb });
  const order = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb } });
  expect(order.statusCode).toBe(200);
  return { ...c, main: await mainSubuser(c.key) };
}

async function pools(key: string) {
  return (await h.call('GET', '/v1/account', { key })).json().pools;
}

async function poolLedger(accountId: string, product: Product) {
  return h.db.query<{ amount: number; cause: string; balance_after: number }>(
    `SELECT amount, cause, balance_after FROM ledger_entries WHERE account_id = $1 AND asset = $2 ORDER BY seq`,
    [accountId, `pool:${product}`],
  );
}

describe('traffic pools on GET /v1/account (SPEC §2, §11)', () => {
  it('a new account shows both pools empty', async () => {
    const c = await h.customer();
    expect(await pools(c.key)).toEqual({
      residential: { remaining_gb: 0, purchased_gb: 0, used_gb: 0 },
      mobile: { remaining_gb: 0, purchased_gb: 0, used_gb: 0 },
    });
  });

  it('buying 50 GB then using 10 GB leaves 40 GB, and the pool ledger adds up', async () => {
    const c = await buyer(50);
    expect((await pools(c.key)).residential).toEqual({ remaining_gb: 50, purchased_gb: 50, used_gb: 0 });
    const res = await ingest([2.5, 2.5, 2.5, 2.5].map((gb) => line(c.main.username, gb * GB)));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      object: 'usage_batch',
      accepted: 4,
      duplicates: 0,
      duplicate_ids: [],
      rejected: [],
    });
    const account = await h.call('GET', '/v1/account', { key: c.key });
    expect(account.body).toContain('"residential":{"remaining_gb":40,"purchased_gb":50,"used_gb":10}');
    expect(account.json().pools.mobile).toEqual({ remaining_gb: 0, purchased_gb: 0, used_gb: 0 });
    expect(account.json().balance_usd).toBe(0);
    const entries = await poolLedger(c.id, 'residential');
    expect(entries).toEqual([
      { amount: 50 * GB, cause: 'order', balance_after: 50 * GB },
      { amount: -10 * GB, cause: 'usage', balance_after: 40 * GB },
    ]);
    const sub = await h.call('GET', `/v1/subusers/${c.main.id}`, { key: c.key });
    expect(sub.json().usage.residential).toMatchObject({ used_gb: 10, used_bytes: 10 * GB, limited: false });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('usage past the pool is recorded as overage: the pool goes below zero, nothing is lost', async () => {
    const c = await buyer(1);
    const res = await ingest([line(c.main.username, 1.5 * GB)]);
    expect(res.json().accepted).toBe(1);
    expect((await pools(c.key)).residential).toEqual({ remaining_gb: -0.5, purchased_gb: 1, used_gb: 1.5 });
    const auth = (await authorize(c.main.username)).json();
    expect(auth).toMatchObject({ allowed: false, reason: 'pool_empty', remaining_bytes: 0 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('GB are shown with up to 3 decimals', async () => {
    const c = await buyer(1);
    await ingest([line(c.main.username, 123_456_789)]);
    expect((await pools(c.key)).residential).toEqual({
      remaining_gb: 0.877,
      purchased_gb: 1,
      used_gb: 0.123,
    });
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('subuser caps (SPEC §2)', () => {
  it('a 1 GB cap and 1.2 GB used: the subuser is limited and authorize says cap_reached while the pool has traffic', async () => {
    const c = await buyer(50);
    const s = (
      await h.call('POST', '/v1/subusers', { key: c.key, body: { caps: { residential: 1 } } })
    ).json();
    expect((await authorize(s.username)).json()).toEqual({
      object: 'gateway_authorization',
      allowed: true,
      subuser_id: s.id,
      account_id: c.id,
      remaining_bytes: 50 * GB,
      cap_remaining_bytes: GB,
    });
    const res = await ingest([line(s.username, 0.7 * GB), line(s.id, 0.5 * GB)]);
    expect(res.json().accepted).toBe(2);

    const got = (await h.call('GET', `/v1/subusers/${s.id}`, { key: c.key })).json();
    expect(got.limited).toBe(true);
    expect(got.usage.residential).toEqual({
      used_gb: 1.2,
      cap_gb: 1,
      limited: true,
      used_bytes: 1.2 * GB,
      cap_bytes: GB,
    });
    expect(got.usage.mobile.limited).toBe(false);
    expect((await authorize(s.username)).json()).toEqual({
      object: 'gateway_authorization',
      allowed: false,
      reason: 'cap_reached',
      subuser_id: s.id,
      account_id: c.id,
      remaining_bytes: 48.8 * GB,
      cap_remaining_bytes: 0,
    });
    // the pool is shared: the main subuser may still use it
    expect((await authorize(c.main.username)).json()).toMatchObject({ allowed: true });
    expect((await pools(c.key)).residential.remaining_gb).toBe(48.8);

    // raising the cap lifts the limit at once; the counter is kept
    const raised = await h.call('PATCH', `/v1/subusers/${s.id}`, {
      key: c.key,
      body: { caps: { residential: 2 } },
    });
    expect(raised.json()).toMatchObject({
      limited: false,
      usage: { residential: { used_gb: 1.2, limited: false } },
    });
    expect((await authorize(s.username)).json()).toMatchObject({
      allowed: true,
      cap_remaining_bytes: 0.8 * GB,
    });
    // removing it too
    await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body: { caps: { residential: 1 } } });
    await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body: { caps: { residential: null } } });
    expect((await authorize(s.username)).json()).toMatchObject({ allowed: true, cap_remaining_bytes: null });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a cap of exactly the usage is reached', async () => {
    const c = await buyer(5);
    const s = (
      await h.call('POST', '/v1/subusers', { key: c.key, body: { caps: { residential: 0.5 } } })
    ).json();
    await ingest([line(s.username, 0.5 * GB)]);
    expect((await authorize(s.username)).json()).toMatchObject({ allowed: false, reason: 'cap_reached' });
  });
});

describe('gateway authorize (SPEC §2)', () => {
  it('unknown_subuser for a username nobody has', async () => {
    const res = await authorize('nobody-has-this-name');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      object: 'gateway_authorization',
      allowed: false,
      reason: 'unknown_subuser',
      subuser_id: null,
      account_id: null,
      remaining_bytes: 0,
      cap_remaining_bytes: null,
    });
  });

  it('subuser_disabled for a disabled subuser, allowed again once re-enabled', async () => {
    const c = await buyer(5);
    const s = (await h.call('POST', '/v1/subusers', { key: c.key, body: {} })).json();
    await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body: { status: 'disabled' } });
    expect((await authorize(s.username)).json()).toMatchObject({
      allowed: false,
      reason: 'subuser_disabled',
      subuser_id: s.id,
      account_id: c.id,
      remaining_bytes: 5 * GB,
    });
    await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body: { status: 'active' } });
    expect((await authorize(s.username)).json().allowed).toBe(true);
  });

  it('account_suspended for any subuser of a suspended account', async () => {
    const c = await buyer(5);
    // no operator route suspends accounts yet: set the state directly
    await h.db.query(`UPDATE accounts SET status = 'suspended' WHERE id = $1`, [c.id]);
    expect((await authorize(c.main.username)).json()).toMatchObject({
      allowed: false,
      reason: 'account_suspended',
      remaining_bytes: 5 * GB,
    });
  });

  it('pool_empty for a product the account has no traffic of', async () => {
    const c = await buyer(5);
    expect((await authorize(c.main.username, 'mobile')).json()).toMatchObject({
      allowed: false,
      reason: 'pool_empty',
      remaining_bytes: 0,
      cap_remaining_bytes: null,
    });
    expect((await authorize(c.main.username, 'residential')).json()).toMatchObject({
      allowed: true,
      remaining_bytes: 5 * GB,
    });
  });

  it('bad queries are 400: missing username, unknown product', async () => {
    for (const qs of [
      'product=residential',
      'username=abc',
      'username=abc&product=isp',
      'username=&product=mobile',
    ]) {
      const res = await h.call('GET', `/admin/v1/gateway/authorize?${qs}`, { admin: true });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
  });

  it('customer keys cannot call it: 403', async () => {
    const c = await h.customer();
    const res = await h.call('GET', '/admin/v1/gateway/authorize?username=abc&product=residential', {
      key: c.key,
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
  });
});

describe('usage ingest (SPEC §2)', () => {
  it('a repeated line id counts once and is reported as a duplicate', async () => {
    const c = await buyer(10);
    const l = line(c.main.username, GB);
    expect((await ingest([l])).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const again = await ingest([l, line(c.main.username, GB)]);
    expect(again.json()).toEqual({
      object: 'usage_batch',
      accepted: 1,
      duplicates: 1,
      duplicate_ids: [l.id],
      rejected: [],
    });
    // a different body under a recorded id is still the same line: skipped
    expect((await ingest([{ ...l, bytes: 5 * GB }])).json()).toMatchObject({ accepted: 0, duplicates: 1 });
    // within one batch, the first occurrence counts
    const twin = line(c.main.username, GB);
    expect((await ingest([twin, twin])).json()).toMatchObject({
      accepted: 1,
      duplicates: 1,
      duplicate_ids: [twin.id],
    });
    expect((await pools(c.key)).residential).toEqual({ remaining_gb: 7, purchased_gb: 10, used_gb: 3 });
    expect(
      (await h.call('GET', `/v1/subusers/${c.main.id}`, { key: c.key })).json().usage.residential.used_gb,
    ).toBe(3);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the same line in 10 concurrent batches counts once', async () => {
    const c = await buyer(10);
    const shared = line(c.main.username, 2 * GB);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => ingest([shared, line(c.main.username, 0.1 * GB)])),
    );
    for (const r of results) expect(r.statusCode).toBe(200);
    const bodies = results.map((r) => r.json());
    expect(bodies.reduce((a, b) => a + b.accepted, 0)).toBe(11);
    expect(bodies.filter((b) => b.duplicate_ids.includes(shared.id))).toHaveLength(9);
    expect((await pools(c.key)).residential).toEqual({ remaining_gb: 7, purchased_gb: 10, used_gb: 3 });
    const count = await h.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM usage_lines WHERE id = $1',
      [shared.id],
    );
    expect(count[0]!.n).toBe(1);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('two gateways posting at once for the same subusers lose nothing', async () => {
    const c = await buyer(100);
    const s = (await h.call('POST', '/v1/subusers', { key: c.key, body: {} })).json();
    // batches that share lines in opposite orders, across two subusers and one pool
    const lines = Array.from({ length: 40 }, (_, i) => line(i % 2 ? s.username : c.main.id, 0.25 * GB));
    const batches = Array.from({ length: 8 }, (_, i) =>
      i % 2 ? lines.slice(i * 3, i * 3 + 20).reverse() : lines.slice(i * 3, i * 3 + 20),
    );
    const results = await Promise.all(batches.map((b) => ingest(b)));
    for (const r of results) expect(r.statusCode).toBe(200);
    const accepted = results.reduce((a, r) => a + r.json().accepted, 0);
    const covered = new Set(batches.flat().map((l) => l.id)).size;
    expect(accepted).toBe(covered);
    expect((await pools(c.key)).residential.used_gb).toBe(covered * 0.25);
    const subs = (await h.call('GET', '/v1/subusers', { key: c.key })).json().data;
    const used = subs.reduce(
      (a: number, x: { usage: { residential: { used_bytes: number } } }) =>
        a + x.usage.residential.used_bytes,
      0,
    );
    expect(used).toBe(covered * 0.25 * GB);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a line for an unknown subuser is rejected with its reason; the rest are accepted', async () => {
    const c = await buyer(10);
    const bad = line('no-such-user', GB);
    const badId = line('sub_01ARZ3NDEKTSV4RRFFQ69G5FAV', GB);
    const res = await ingest([bad, line(c.main.username, GB), badId]);
    expect(res.json()).toEqual({
      object: 'usage_batch',
      accepted: 1,
      duplicates: 0,
      duplicate_ids: [],
      rejected: [
        { id: bad.id, reason: 'unknown_subuser' },
        { id: badId.id, reason: 'unknown_subuser' },
      ],
    });
    expect((await pools(c.key)).residential.used_gb).toBe(1);
  });

  it('a batch spanning accounts and products draws each pool once and keeps tenants apart', async () => {
    const a = await buyer(10);
    const b = await buyer(20);
    const res = await ingest([
      line(a.main.username, GB),
      line(b.main.username, 2 * GB),
      line(a.main.username, 3 * GB),
      line(b.main.id, 0.5 * GB, 'mobile'),
      line(a.main.username, 0),
    ]);
    expect(res.json()).toMatchObject({ accepted: 5, duplicates: 0, rejected: [] });
    expect((await pools(a.key)).residential).toEqual({ remaining_gb: 6, purchased_gb: 10, used_gb: 4 });
    expect(await pools(b.key)).toEqual({
      residential: { remaining_gb: 18, purchased_gb: 20, used_gb: 2 },
      mobile: { remaining_gb: -0.5, purchased_gb: 0, used_gb: 0.5 },
    });
    expect((await poolLedger(a.id, 'residential')).map((e) => e.amount)).toEqual([10 * GB, -4 * GB]);
    // every line points at the ledger entry that drew it down (0-byte lines at none)
    const linked = await h.db.query<{ bytes: number; ledger_entry_id: string | null; amount: number | null }>(
      `SELECT u.bytes, u.ledger_entry_id, l.amount FROM usage_lines u
       LEFT JOIN ledger_entries l ON l.id = u.ledger_entry_id
       WHERE u.account_id = $1 ORDER BY u.bytes`,
      [a.id],
    );
    expect(linked.map((r) => [r.bytes, r.amount])).toEqual([
      [0, null],
      [GB, -4 * GB],
      [3 * GB, -4 * GB],
    ]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('usage of a disabled subuser is still recorded (the traffic was used)', async () => {
    const c = await buyer(5);
    const s = (await h.call('POST', '/v1/subusers', { key: c.key, body: {} })).json();
    await h.call('PATCH', `/v1/subusers/${s.id}`, { key: c.key, body: { status: 'disabled' } });
    expect((await ingest([line(s.username, GB)])).json().accepted).toBe(1);
    expect((await pools(c.key)).residential.remaining_gb).toBe(4);
  });

  it.each([
    ['no lines', { lines: [] }],
    ['1001 lines', { lines: Array.from({ length: 1001 }, () => line('someone', 1)) }],
    ['negative bytes', { lines: [line('someone', -1)] }],
    ['fractional bytes', { lines: [line('someone', 1.5)] }],
    ['bytes as a string', { lines: [{ ...line('someone', 1), bytes: '10' }] }],
    ['more than 1 TB in a line', { lines: [line('someone', 1_000_000_000_001)] }],
    ['an unknown product', { lines: [{ ...line('someone', 1), product: 'isp' }] }],
    ['a missing at', { lines: [{ id: 'x', subuser: 'someone', product: 'mobile', bytes: 1 }] }],
    ['a malformed at', { lines: [{ ...line('someone', 1), at: 'yesterday' }] }],
    ['an at in the year 0000', { lines: [{ ...line('someone', 1), at: '0000-01-01T00:00:00Z' }] }],
    [
      'an at that is year 0000 in UTC',
      { lines: [{ ...line('someone', 1), at: '0001-01-01T00:00:00+14:00' }] },
    ],
    [
      'an at that is year 10000 in UTC',
      { lines: [{ ...line('someone', 1), at: '9999-12-31T23:59:59-14:00' }] },
    ],
    ['an empty id', { lines: [{ ...line('someone', 1), id: '' }] }],
    ['an unknown field', { lines: [{ ...line('someone', 1), cost: 3 }] }],
    ['no body', undefined],
  ])('%s is 400 invalid_request and records nothing', async (_what, body) => {
    const before = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_lines');
    const res = await h.call('POST', '/admin/v1/usage', { admin: true, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    const after = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM usage_lines');
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it('1000 lines in one batch are accepted', async () => {
    const c = await buyer(1);
    const res = await ingest(Array.from({ length: 1000 }, () => line(c.main.username, 1_000_000)));
    expect(res.json()).toMatchObject({ accepted: 1000, duplicates: 0 });
    expect((await pools(c.key)).residential).toEqual({ remaining_gb: 0, purchased_gb: 1, used_gb: 1 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('customer keys cannot post usage: 403, nothing recorded', async () => {
    const c = await buyer(5);
    const res = await h.call('POST', '/admin/v1/usage', {
      key: c.key,
      body: { lines: [line(c.main.username, GB)] },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect((await h.call('POST', '/admin/v1/usage', { body: { lines: [] } })).statusCode).toBe(401);
    expect((await pools(c.key)).residential.used_gb).toBe(0);
  });

  it('an Idempotency-Key replays the whole batch response', async () => {
    const c = await buyer(5);
    const body = { lines: [line(c.main.username, GB)] };
    const headers = { 'idempotency-key': lineId() };
    const first = await h.call('POST', '/admin/v1/usage', { admin: true, body, headers });
    const second = await h.call('POST', '/admin/v1/usage', { admin: true, body, headers });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect((await pools(c.key)).residential.used_gb).toBe(1);
  });
});
