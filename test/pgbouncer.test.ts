/**
 * Two API processes behind PgBouncer in transaction pooling (issue 13, item 4): Debian's
 * `pgbouncer` as a child process on loopback with a generated ini, in front of a fresh database
 * on the PostgreSQL at 127.0.0.1:5432; the servers are `src/main.ts` child processes that reach
 * the database only through PgBouncer. Migrations run straight on PostgreSQL first (they take
 * advisory locks and may build indexes CONCURRENTLY), as docs/deploy.md says.
 *
 * With DATABASE_PREPARED_STATEMENTS=off the black-box order tests pass through both processes;
 * with it on (the default), PgBouncer 1.18 hands a transaction a server connection that never
 * saw the named statement, and requests fail — the evidence for the setting.
 *
 * PostgreSQL only; skipped (with a message) without DATABASE_URL or without `pgbouncer`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Child,
  findPgbouncer,
  type Pgbouncer,
  startChild,
  startPgbouncer,
} from '../bench/pgbouncer/pgbouncer.ts';
import { loadConfig } from '../src/config.ts';
import { type Db, openPostgres } from '../src/db/client.ts';
import { migrate } from '../src/db/migrate.ts';
import { moneyInvariantViolations } from './support/invariants.ts';
import { emptyPostgres } from './support/test-db.ts';

const ADMIN_TOKEN = 'pgbouncer-test-admin-token-0123';
/** what PostgreSQL says when a named statement meets a server connection that does not know it */
const PREPARED_ERROR = /prepared statement \\?"od_[0-9a-f]+\\?" (does not exist|already exists)/;

const PGBOUNCER = findPgbouncer();
const skipReason = !process.env.DATABASE_URL
  ? 'DATABASE_URL is not set (PgBouncer needs PostgreSQL)'
  : !PGBOUNCER
    ? 'pgbouncer is not installed (apt-get install -y --no-install-recommends pgbouncer)'
    : null;
if (skipReason) process.stderr.write(`test/pgbouncer.test.ts skipped: ${skipReason}\n`);

describe('DATABASE_PREPARED_STATEMENTS (config)', () => {
  it('is on by default, takes on/off, and a bad value names the variable', () => {
    expect(loadConfig({}).databasePreparedStatements).toBe(true);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'off' }).databasePreparedStatements).toBe(false);
    expect(loadConfig({ DATABASE_PREPARED_STATEMENTS: 'on' }).databasePreparedStatements).toBe(true);
    expect(() => loadConfig({ DATABASE_PREPARED_STATEMENTS: 'sometimes' })).toThrow(
      /DATABASE_PREPARED_STATEMENTS/,
    );
  });
});

interface Api extends Child {
  url: string;
  call(
    method: 'GET' | 'POST',
    p: string,
    opts?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string; json: () => Record<string, unknown> }>;
}

async function startApi(databaseUrl: string, dataDir: string, prepared: 'on' | 'off'): Promise<Api> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    DATABASE_URL: databaseUrl,
    DATABASE_PREPARED_STATEMENTS: prepared,
    DATA_DIR: dataDir,
    ORDERDESK_ADMIN_TOKEN: ADMIN_TOKEN,
    ORDERDESK_DEMO: '0',
    ORDERDESK_TEST_CLOCK: '1',
    ORDERDESK_RATE_WRITES_PER_SECOND: '100000',
    ORDERDESK_RATE_READS_PER_SECOND: '100000',
    ORDERDESK_RATE_ADMIN_PER_SECOND: '100000',
    LOG_LEVEL: 'error',
  };
  delete env.REDIS_URL;
  const c = await startChild(
    process.execPath,
    ['--import', 'tsx', 'src/main.ts'],
    env,
    /running at (http:\/\/\S+)/,
    `API (prepared statements ${prepared})`,
  );
  const url = c.match[1]!;
  return {
    ...c,
    url,
    async call(method, p, opts = {}) {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: {
          authorization: `Bearer ${opts.key ?? ADMIN_TOKEN}`,
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
    },
  };
}

/** An account with an API key, made through `a`, funded and KYC-approved through `b`. */
async function customer(a: Api, b: Api, balanceUsd: number): Promise<{ id: string; key: string }> {
  const email = `pgb-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const acc = await a.call('POST', '/admin/v1/accounts', { body: { email, name: 'PgBouncer test' } });
  expect(acc.status, acc.text).toBe(200);
  const id = acc.json().id as string;
  const key = await b.call('POST', `/admin/v1/accounts/${id}/api-keys`, { body: {} });
  expect(key.status, key.text).toBe(200);
  const adj = await b.call('POST', `/admin/v1/accounts/${id}/balance-adjustments`, {
    body: { amount_usd: balanceUsd, reason: 'test funds' },
  });
  expect(adj.status, adj.text).toBe(200);
  const kyc = await a.call('POST', `/admin/v1/accounts/${id}/kyc`, { body: { decision: 'approved' } });
  expect(kyc.status, kyc.text).toBe(200);
  return { id, key: key.json().key as string };
}

describe.skipIf(skipReason !== null)('two API processes behind PgBouncer (transaction pooling)', () => {
  const dirs: string[] = [];
  const children: Child[] = [];
  let database: { url: string; drop(): Promise<void> };
  let direct: Db;
  let bouncer: Pgbouncer;
  let bouncerUrl: string;
  let p1: Api;
  let p2: Api;

  const tempDir = (prefix: string) => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    database = await emptyPostgres('orderdesk_pgb');
    // migrations straight on PostgreSQL, before any process starts behind the pooler
    direct = await openPostgres(database.url, 4);
    await migrate(direct);
    // fewer server connections than the processes' pools: transactions change connections
    bouncer = await startPgbouncer(database.url, 4);
    children.push(bouncer);
    bouncerUrl = bouncer.url;
    [p1, p2] = await Promise.all([
      startApi(bouncerUrl, tempDir('orderdesk-pgb-api1-'), 'off'),
      startApi(bouncerUrl, tempDir('orderdesk-pgb-api2-'), 'off'),
    ]);
    children.push(p1, p2);
  });

  afterAll(async () => {
    await Promise.all(children.filter((c) => c !== bouncer).map((c) => c.stop()));
    await bouncer?.stop();
    await direct?.close();
    await database?.drop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  const ordersOf = async (accountId: string) =>
    (
      await direct.query<{ n: number }>('SELECT count(*)::int8 AS n FROM orders WHERE account_id = $1', [
        accountId,
      ])
    )[0]!.n;
  const balanceOf = async (a: Api, key: string) => {
    const r = await a.call('GET', '/v1/account', { key });
    expect(r.status, r.text).toBe(200);
    return r.json().balance_usd as number;
  };

  it('50 GB residential costs 225.00 and 20 ISP IPs in New York ASN 7922 for a month 120.00, across both processes', async () => {
    const c = await customer(p1, p2, 500);
    const res = await p1.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toContain('"total_usd":225.00');
    const orderId = res.json().id as string;
    const seen = await p2.call('GET', `/v1/orders/${orderId}`, { key: c.key });
    expect(seen.status, seen.text).toBe(200);
    expect(seen.json()).toMatchObject({ id: orderId, total_usd: 225 });

    const place = { port: 8000, country: 'us', city: 'newyork', asn: 7922 };
    const ips = Array.from({ length: 25 }, (_, i) => ({ ip: `198.51.100.${i + 1}`, ...place }));
    const imp = await p2.call('POST', '/admin/v1/inventory/import', { body: { ips } });
    expect(imp.status, imp.text).toBe(200);
    expect(imp.json()).toMatchObject({ imported: 25 });
    const isp = await p1.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 },
    });
    expect(isp.status, isp.text).toBe(200);
    expect(isp.text).toContain('"total_usd":120.00');
    expect(await balanceOf(p2, c.key)).toBe(155);
    const line = `PgBouncer (transaction pooling, prepared statements off): residential 50 GB 225.00 via api1, ISP 20 × us/newyork/7922 × 1 month 120.00 via api1 after an import via api2; balance 500.00 → ${(await balanceOf(p1, c.key)).toFixed(2)}`;
    process.stdout.write(`${line}\n`);
  });

  it('a retry with the same Idempotency-Key on the other process, and 20 identical concurrent POSTs over both, make one order', async () => {
    const c = await customer(p2, p1, 100);
    const body = { product: 'residential', gb: 2 };
    const headers = { 'idempotency-key': 'pgb-retry-1' };
    const first = await p1.call('POST', '/v1/orders', { key: c.key, body, headers });
    expect(first.status, first.text).toBe(200);
    const again = await p2.call('POST', '/v1/orders', { key: c.key, body, headers });
    expect(again.status, again.text).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(await ordersOf(c.id)).toBe(1);

    const race = { 'idempotency-key': 'pgb-race-1' };
    const all = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? p2 : p1).call('POST', '/v1/orders', { key: c.key, body, headers: race }),
      ),
    );
    const ok = all.filter((r) => r.status === 200);
    // a duplicate still in flight is refused (409), never run twice
    for (const r of all) expect([200, 409], r.text).toContain(r.status);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((r) => r.json().id)).size).toBe(1);
    expect(await ordersOf(c.id)).toBe(2);
    expect(await balanceOf(p1, c.key)).toBe(82); // 100 − 2 × 9.00
    process.stdout.write(
      `PgBouncer idempotency: retry on the other process → same order; 20 concurrent identical POSTs → ${ok.length} × 200, ${all.length - ok.length} × 409, 1 order\n`,
    );
  });

  it('concurrent orders on both processes keep every balance equal to the sum of its ledger', async () => {
    const accounts = await Promise.all(
      [0, 1, 2, 3].map((i) => customer(i % 2 ? p1 : p2, i % 2 ? p2 : p1, 200)),
    );
    const perAccount = 15;
    const results = await Promise.all(
      accounts.flatMap((c) =>
        Array.from({ length: perAccount }, (_, i) =>
          (i % 2 ? p2 : p1).call('POST', '/v1/orders', {
            key: c.key,
            body: { product: 'residential', gb: 1 },
          }),
        ),
      ),
    );
    for (const r of results) expect(r.status, r.text).toBe(200);
    for (const c of accounts) {
      expect(await ordersOf(c.id)).toBe(perAccount);
      expect(await balanceOf(p2, c.key)).toBe(200 - perAccount * 4.5);
    }
    expect(await moneyInvariantViolations(direct)).toEqual([]);
    process.stdout.write(
      `PgBouncer concurrency: ${results.length} orders over ${accounts.length} accounts on 2 processes → all 200, balance = Σ ledger for every account\n`,
    );
  });

  it('with prepared statements on (the default), PgBouncer 1.18 in transaction mode makes requests fail', async () => {
    const accounts = await Promise.all([0, 1, 2, 3].map(() => customer(p1, p2, 200)));
    let on: Api;
    try {
      on = await startApi(bouncerUrl, tempDir('orderdesk-pgb-api3-'), 'on');
    } catch (e) {
      // its start may already land on a connection that lacks a statement: the same evidence
      const evidence = PREPARED_ERROR.exec(String(e));
      expect(evidence?.[0], String(e)).toBeDefined();
      process.stdout.write(`PgBouncer with prepared statements on: the start failed (${evidence?.[0]})\n`);
      return;
    }
    children.push(on);
    const results = await Promise.all(
      accounts.flatMap((c) =>
        Array.from({ length: 10 }, () =>
          on.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } }),
        ),
      ),
    );
    await on.stop();
    const failed = results.filter((r) => r.status >= 500);
    const ok = results.filter((r) => r.status === 200);
    expect(failed.length).toBeGreaterThan(0);
    const evidence = PREPARED_ERROR.exec(on.output());
    expect(evidence?.[0]).toBeDefined();
    // a failed request changed nothing: the books still add up
    let orders = 0;
    for (const c of accounts) {
      const n = await ordersOf(c.id);
      orders += n;
      expect(await balanceOf(p1, c.key)).toBe(200 - n * 4.5);
    }
    expect(orders).toBeGreaterThanOrEqual(ok.length);
    expect(await moneyInvariantViolations(direct)).toEqual([]);
    process.stdout.write(
      `PgBouncer with prepared statements on: ${results.length} orders → ${ok.length} × 200, ${failed.length} × 5xx (${evidence?.[0].replace(/\\"/g, '"')})\n`,
    );
  });
});
