/**
 * The CLI beside a running server (SPEC §11): with ORDERDESK_URL, or the server recorded in
 * DATA_DIR/server.json, a command is the admin API call and prints the same JSON as the direct
 * mode; a DATA_DIR without a database is an error that creates nothing; lists are tables on a
 * terminal. The server runs in this process (src/main.ts start, PORT=0) on the CLI's own database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { start } from '../src/main.ts';
import { type CliEnv, cliEnv, type Ran, runCli } from './support/cli-env.ts';

let cli: CliEnv;
let server: Awaited<ReturnType<typeof start>> | null = null;
/** the environment that finds the server: server.json on PGlite, ORDERDESK_URL on PostgreSQL */
let remoteEnv: Record<string, string | undefined>;

/** On PostgreSQL the bootstrap token is kept in the database: the operator names one. */
const PG_TOKEN = 'adm_cli_remote_test_token_0123456789';
const pgToken = (): Record<string, string> => (cli.pg ? { ORDERDESK_ADMIN_TOKEN: PG_TOKEN } : {});

/** The admin token the server accepts. */
const adminToken = () =>
  cli.pg ? PG_TOKEN : fs.readFileSync(path.join(cli.dataDir, 'admin-token'), 'utf8').trim();

async function startServer(): Promise<Awaited<ReturnType<typeof start>>> {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return await start({ ...cli.env, ...pgToken(), PORT: '0', ORDERDESK_DEMO: '0' });
  } finally {
    out.mockRestore();
  }
}

beforeAll(async () => {
  cli = await cliEnv('orderdesk-cli-remote-');
  server = await startServer();
  remoteEnv = cli.pg ? { ...cli.env, ...pgToken(), ORDERDESK_URL: server.url } : cli.env;
});

afterAll(async () => {
  await server?.shutdown();
  await cli?.close();
});

const orderdesk = (args: string[], env = remoteEnv): Promise<Ran> => runCli(env, args);

/** The CLI as on a terminal: stdout is a TTY. */
const onTerminal = (env: Record<string, string | undefined>, args: string[]) =>
  runCli(env, args, { outTty: true });

describe('orderdesk beside a running server (SPEC §11)', () => {
  let accountId: string;
  let orderId: string;

  it.skipIf(process.env.DATABASE_URL)('the server records itself in DATA_DIR/server.json', () => {
    const f = JSON.parse(fs.readFileSync(path.join(cli.dataDir, 'server.json'), 'utf8'));
    expect(f).toEqual({ url: server!.url, pid: process.pid });
  });

  it('orders get ID prints the order the admin API answers', async () => {
    const created = await orderdesk([
      'accounts',
      'create',
      '--email',
      'remote@example.com',
      '--name',
      'Remote',
    ]);
    expect(created.code, created.stderr).toBe(0);
    accountId = JSON.parse(created.stdout).id;
    expect((await orderdesk(['credit', accountId, '100', '--reason', 'wire'])).code).toBe(0);
    const key = JSON.parse((await orderdesk(['api-keys', 'create', accountId])).stdout).key;
    const placed = await fetch(`${server!.url}/v1/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ product: 'residential', gb: 2 }),
    });
    expect(placed.status).toBe(200);
    orderId = ((await placed.json()) as { id: string }).id;

    const got = await orderdesk(['orders', 'get', orderId]);
    expect(got.code, got.stderr).toBe(0);
    const token = adminToken();
    const viaCurl = await fetch(`${server!.url}/admin/v1/orders/${orderId}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    // byte for byte what the route answers (money keeps its two decimals)
    expect(got.stdout).toBe(`${await viaCurl.text()}\n`);
    expect(JSON.parse(got.stdout)).toMatchObject({
      id: orderId,
      object: 'order',
      account: accountId,
      product: 'residential',
    });
    expect(got.stdout).toContain('"total_usd":9.00');

    const list = await orderdesk(['orders', 'list', '--account', accountId, '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({
      object: 'list',
      data: [{ id: orderId }],
      has_more: false,
    });
  });

  it('accounts get by id and by email; an unknown email exits 1 not_found', async () => {
    const byId = await orderdesk(['accounts', 'get', accountId]);
    const byEmail = await orderdesk(['accounts', 'get', 'REMOTE@example.com']);
    expect(byId.code, byId.stderr).toBe(0);
    expect(byEmail.stdout).toBe(byId.stdout);
    // 100.00 credited, 9.00 paid for the order
    expect(byId.stdout).toContain('"balance_usd":91.00');
    const none = await orderdesk(['accounts', 'get', 'nobody@example.com']);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stderr).error).toMatchObject({ code: 'not_found', param: 'email' });
    const missing = await orderdesk(['orders', 'get', 'ord_01HZZZZZZZZZZZZZZZZZZZZZZZ']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stderr).error).toMatchObject({ code: 'not_found' });
  });

  it('prices list and prices set through the server; a bad price is a usage error', async () => {
    const list = await orderdesk(['prices', 'list']);
    expect(list.code, list.stderr).toBe(0);
    const before = JSON.parse(list.stdout).data.find((p: { key: string }) => p.key === 'residential.payg');
    expect(before).toMatchObject({ object: 'price', unit_price_usd: 4.5 });
    const set = await orderdesk(['prices', 'set', 'residential.payg', '4.20', '--reason', 'winter sale']);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      object: 'price_book_version',
      changed: [{ key: 'residential.payg', before_usd: 4.5, unit_price_usd: 4.2 }],
      reason: 'winter sale',
    });
    const text = await orderdesk(['prices', 'list', '--text']);
    expect(text.stdout).toMatch(/^residential\.payg +4\.2(0)? USD\/gb {2}\(v\d+\)$/m);
    const unknown = await orderdesk(['prices', 'set', 'gold.payg', '1']);
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr).error.code).toBeTruthy();
    const bad = await orderdesk(['prices', 'set', 'residential.payg', '4.12345']);
    expect([bad.code, bad.stdout]).toEqual([2, '']);
    expect(bad.stderr).toContain('at most 4 decimals');
    // back to the list price for the tests after this one
    expect((await orderdesk(['prices', 'set', 'residential.payg', '4.50'])).code).toBe(0);
  });

  it('a list is a table on a terminal; --json there is the JSON', async () => {
    const t = await onTerminal(remoteEnv, ['orders', 'list', '--account', accountId]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/│ id +│ account +│ product/);
    expect(t.stdout).toContain(orderId);
    const j = await onTerminal(remoteEnv, ['accounts', 'list', '--json']);
    expect(JSON.parse(j.stdout).object).toBe('list');
    const one = await onTerminal(remoteEnv, ['accounts', 'get', accountId]);
    expect(one.stdout).toBe(
      `${accountId}  remote@example.com  balance 91.00 USD  kyc not_submitted  active\n`,
    );
  });

  it.skipIf(process.env.DATABASE_URL)(
    'a command with no admin route (demo load) says the server holds the database',
    async () => {
      const r = await orderdesk(['demo', 'load']);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'invalid_state' });
      expect(r.stderr).toContain(`a server is running for it at ${server!.url} (from server.json)`);
    },
  );

  it('inventory import through the server prints the API summary', async () => {
    const file = path.join(cli.dataDir, 'remote.csv');
    fs.writeFileSync(
      file,
      'ip,port,country,city,asn\n198.51.100.1,8000,us,newyork,7922\nbad,1,us,newyork,7922\n',
    );
    const r = await orderdesk(['inventory', 'import', file, '--text']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'imported 1 of 2 rows; skipped 1 (invalid_ip 1)\n  line 3  bad  invalid_ip: "bad" is not an IPv4 or IPv6 address\n',
    );
  });

  it('remote and direct give the same JSON for accounts get and orders get', async () => {
    const remoteAccount = await orderdesk(['accounts', 'get', accountId]);
    const remoteOrder = await orderdesk(['orders', 'get', orderId]);
    const gateway = ['gateway', 'authorize', 'nobody', '--product', 'residential'];
    const remoteGateway = await orderdesk(gateway);
    expect(JSON.parse(remoteGateway.stdout)).toMatchObject({ allowed: false, reason: 'unknown_subuser' });
    await server!.shutdown();
    server = null;
    expect(fs.existsSync(path.join(cli.dataDir, 'server.json'))).toBe(false);
    const directAccount = await orderdesk(['accounts', 'get', accountId], cli.env);
    expect(directAccount.code, directAccount.stderr).toBe(0);
    expect(directAccount.stdout).toBe(remoteAccount.stdout);
    const directOrder = await orderdesk(['orders', 'get', orderId], cli.env);
    expect(directOrder.stdout).toBe(remoteOrder.stdout);
    expect((await orderdesk(gateway, cli.env)).stdout).toBe(remoteGateway.stdout);
    // prices are the same both ways too
    const direct = await orderdesk(['prices', 'set', 'residential.payg', '4.40'], cli.env);
    expect(JSON.parse(direct.stdout)).toMatchObject({
      changed: [{ key: 'residential.payg', before_usd: 4.5, unit_price_usd: 4.4 }],
    });
  });

  it('a direct import of 25,000 rows goes in batches and sums them up in one summary', async () => {
    const lines = ['ip,port,country,city,asn'];
    for (let i = 0; i < 25_000; i++) lines.push(`10.77.${i >> 8}.${i & 255},3128,de,frankfurt,3320`);
    lines.push('10.77.0.0,3128,de,frankfurt,3320', 'nonsense,1,de,frankfurt,3320');
    const file = path.join(cli.dataDir, 'big.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await orderdesk(['inventory', 'import', file], cli.env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      object: 'inventory_import',
      rows: 25_002,
      imported: 25_000,
      skipped_count: 2,
      // the repeat of the first row sits in a later batch: that batch finds it in stock
      skipped_by_reason: { already_in_stock: 1, invalid_ip: 1 },
    });
    const show = await orderdesk(['inventory', 'show', '--country', 'de'], cli.env);
    expect(JSON.parse(show.stdout).totals).toMatchObject({ available: 25_000 });
  });

  it('demo load (direct only) loads the demo account and stock once', async () => {
    const first = await orderdesk(['demo', 'load'], cli.env);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      object: 'demo',
      email: 'demo@orderdesk.local',
      stock_imported: 580,
    });
    const again = await orderdesk(['demo', 'load', '--text'], cli.env);
    expect(again.stdout).toMatch(/^demo account demo@orderdesk\.local .*; ISP stock: 0 IPs imported\n$/);
  });

  it.skipIf(process.env.DATABASE_URL)('a server.json whose process is gone is ignored', async () => {
    fs.writeFileSync(
      path.join(cli.dataDir, 'server.json'),
      JSON.stringify({ url: 'http://localhost:9', pid: 2147483646 }),
    );
    const r = await orderdesk(['accounts', 'get', accountId], cli.env);
    expect(r.code, r.stderr).toBe(0);
    fs.rmSync(path.join(cli.dataDir, 'server.json'));
  });

  it('ORDERDESK_URL pointing at nothing is a clear error', async () => {
    const r = await orderdesk(['accounts', 'list'], { ...cli.env, ORDERDESK_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot reach the server at http://127.0.0.1:9 (from ORDERDESK_URL)');
  });
});

describe('a DATA_DIR without a database (SPEC §11)', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-cli-nodb-'));
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
  const envOf = (dataDir: string) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    };
    delete env.DATABASE_URL;
    delete env.ORDERDESK_URL;
    return env;
  };

  it.each([[['accounts', 'list']], [['orders', 'get', 'ord_x']], [['prices', 'list', '--text']]])(
    'a mistyped DATA_DIR: orderdesk %j fails with a clear message and creates nothing',
    async (args) => {
      const typo = path.join(base, 'dtaa');
      const r = await runCli(envOf(typo), args);
      expect([r.code, r.stdout]).toEqual([1, '']);
      expect(r.stderr).toContain(`no database in DATA_DIR ${typo}`);
      expect(r.stderr).toContain('does not exist');
      expect(fs.existsSync(typo)).toBe(false);
    },
  );

  it('an empty DATA_DIR is refused too, and stays empty', async () => {
    const empty = path.join(base, 'empty');
    fs.mkdirSync(empty);
    const r = await runCli(envOf(empty), ['accounts', 'get', 'acc_x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('holds no database');
    expect(fs.readdirSync(empty)).toEqual([]);
  });
});
