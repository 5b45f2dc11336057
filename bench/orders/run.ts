/**
 * bench:orders — `POST /v1/orders` throughput and latency on PostgreSQL, measured with autocannon
 * against the real server (a child process running src/main.ts), and pgbench's default
 * TPC-B-like TPS on the same PostgreSQL server in the same run, as the anchor (with pgbench's own
 * latency percentiles, read from its per-transaction log `-l`, to set the p99 beside).
 *
 *   npm run bench:orders                 # run, print the table
 *   npm run bench:orders -- --write      # … and record it in bench/BENCHMARKS.md
 *
 * Options: --duration 20 --connections 32 --accounts 32 --scale 10 --warmup 3
 *          --pg postgres://postgres@127.0.0.1:5432/postgres (or BENCH_PG_URL)
 *          --log-level warn (the server's LOG_LEVEL; info logs two lines per request)
 *          --only multi,single,idem (scenarios) --no-pgbench
 *          --wait-quiet 600 (wait up to this many seconds for other processes to leave the CPUs idle)
 *          --note "what changed" (a note for the history row)
 *          --pgbouncer (the same scenarios three ways in one run: direct, direct with
 *            DATABASE_PREPARED_STATEMENTS=off, and through a PgBouncer in transaction pooling —
 *            Debian's 1.18, so prepared statements off — with as many server connections as the
 *            server's pool; --write records it in its own section of BENCHMARKS.md)
 *          --pglite (after the PostgreSQL runs, the same scenarios against a second server on the
 *            embedded PGlite database: no DATABASE_URL, a temp DATA_DIR, accounts made through the
 *            admin API as on PostgreSQL; prints PGlite ÷ PostgreSQL per scenario, target ≥ 0.4;
 *            the books of the PGlite database are checked once its server stopped; --write
 *            records it in its own section of BENCHMARKS.md)
 * Env: BENCH_SERVER_NODE_ARGS="…" extra node flags for the server child (profiling, GC sizes).
 *
 * Scenarios: `multi` spreads the connections over --accounts accounts (one API key each);
 * `single` sends every request for one account (its row lock serialises them: the contention
 * worst case); `idem` is `multi` with a fresh Idempotency-Key on every request. Each PostgreSQL
 * scenario starts after a CHECKPOINT, and each scenario ends by waiting for the server's
 * background work (its orders' receipts) to settle, so no scenario carries another's.
 * Afterwards it checks the books (every balance and pool equals the sum of its ledger entries,
 * the money taken equals the orders' payable total, orders created ≥ 2xx received) and drops
 * the bench databases.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type Db, openPglite, openPostgres } from '../../src/db/client.ts';
import { ledgerMismatches } from '../../src/db/ledger.ts';
import { findPgbouncer, type Pgbouncer, pgbouncerVersion, startPgbouncer } from '../pgbouncer/pgbouncer.ts';
import {
  BENCHMARKS_MD,
  callApi,
  dbUrl,
  type Machine,
  machine,
  onServer,
  percentile,
  ROOT,
  sleep,
  waitQuiet,
} from '../support.ts';

// ---- autocannon (CommonJS, no bundled types): the part of its API used here ----

interface Histogram {
  average: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  total: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonClient {
  setHeaders(headers: Record<string, string>): void;
}
type Autocannon = (opts: {
  url: string;
  method: 'POST';
  connections: number;
  duration: number;
  headers: Record<string, string>;
  body: string;
  idReplacement?: boolean;
  setupClient?: (client: AutocannonClient) => void;
}) => Promise<AutocannonResult>;

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---- options ----

const ORDER_BODY = '{"product":"residential","gb":1}';
const ORDER_CENTS = 450; // residential payg 4.50 × 1 GB
const START_BALANCE_USD = 10_000_000;
const ADMIN_TOKEN = `bench-admin-${Math.random().toString(36).slice(2)}-token`;
const BENCH_DB = 'orderdesk_bench';
const PGBENCH_DB = 'orderdesk_bench_pgbench';

const SCENARIOS = ['multi', 'single', 'idem'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Options {
  write: boolean;
  duration: number;
  warmup: number;
  connections: number;
  accounts: number;
  scale: number;
  pgUrl: string;
  logLevel: string;
  only: Scenario[];
  pgbench: boolean;
  /** seconds to wait for the machine to go quiet (other processes' CPU < 15%) before starting */
  waitQuiet: number;
  note: string;
  pgbouncer: boolean;
  pglite: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    write: false,
    duration: 20,
    warmup: 3,
    connections: 32,
    accounts: 32,
    scale: 10,
    pgUrl: process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    logLevel: 'warn',
    only: [...SCENARIOS],
    pgbench: true,
    waitQuiet: 0,
    note: '',
    pgbouncer: false,
    pglite: false,
  };
  const num = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a whole number, got ${v}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--write':
        o.write = true;
        break;
      case '--no-pgbench':
        o.pgbench = false;
        break;
      case '--pgbouncer':
        o.pgbouncer = true;
        break;
      case '--pglite':
        o.pglite = true;
        break;
      case '--duration':
        o.duration = num('duration', value());
        break;
      case '--warmup':
        o.warmup = num('warmup', value());
        break;
      case '--connections':
        o.connections = num('connections', value());
        break;
      case '--accounts':
        o.accounts = Math.max(1, num('accounts', value()));
        break;
      case '--scale':
        o.scale = Math.max(1, num('scale', value()));
        break;
      case '--pg':
        o.pgUrl = value() ?? o.pgUrl;
        break;
      case '--note':
        o.note = (value() ?? '').replace(/\|/g, '/');
        break;
      case '--wait-quiet':
        o.waitQuiet = num('wait-quiet', value());
        break;
      case '--log-level':
        o.logLevel = value() ?? o.logLevel;
        break;
      case '--only': {
        const list = (value() ?? '').split(',').filter(Boolean);
        for (const s of list) {
          if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}`);
        }
        o.only = list as Scenario[];
        break;
      }
      default:
        throw new Error(`unknown option ${flag} (see the header of bench/orders/run.ts)`);
    }
  }
  if (o.pglite && o.pgbouncer) throw new Error('--pglite and --pgbouncer are separate runs');
  return o;
}

// ---- the server, as a child process (its own event loop, as in production) ----

interface Server {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startServer(
  databaseUrl: string,
  logLevel: string,
  dataDir: string,
  extraEnv: Record<string, string> = {},
): Promise<Server> {
  // BENCH_SERVER_NODE_ARGS: extra node flags for the server, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      DATA_DIR: dataDir,
      ORDERDESK_DEMO: '0',
      ORDERDESK_TEST_CLOCK: '0',
      ORDERDESK_ADMIN_TOKEN: ADMIN_TOKEN,
      ORDERDESK_RATE_WRITES_PER_SECOND: '1000000',
      ORDERDESK_RATE_READS_PER_SECOND: '1000000',
      ORDERDESK_RATE_ADMIN_PER_SECOND: '1000000',
      LOG_LEVEL: logLevel,
      NODE_ENV: 'production',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s:\n${output}`)), 60_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /running at (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => {
      output += d.toString();
    });
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before it started:\n${output}`));
    });
  });
  // keep draining its output so a full pipe never blocks it; show warnings and errors
  child.stdout!.removeAllListeners('data');
  child.stdout!.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[server] ${d}`));
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

async function api(
  url: string,
  token: string,
  method: 'GET' | 'POST',
  p: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const { status, text } = await callApi(url, token, method, p, body);
  if (status !== 200) throw new Error(`${method} ${p} → ${status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

interface Customer {
  id: string;
  key: string;
}

async function makeCustomers(url: string, n: number): Promise<Customer[]> {
  const out: Customer[] = [];
  for (let i = 0; i < n; i++) {
    const acc = await api(url, ADMIN_TOKEN, 'POST', '/admin/v1/accounts', {
      email: `bench-${i}@example.com`,
      name: `Bench ${i}`,
    });
    const id = acc.id as string;
    const key = await api(url, ADMIN_TOKEN, 'POST', `/admin/v1/accounts/${id}/api-keys`, { name: 'bench' });
    await api(url, ADMIN_TOKEN, 'POST', `/admin/v1/accounts/${id}/balance-adjustments`, {
      amount_usd: START_BALANCE_USD,
      reason: 'bench funds',
    });
    out.push({ id, key: key.key as string });
  }
  return out;
}

// ---- load ----

interface LoadResult {
  scenario: string;
  /** how the server reached PostgreSQL (--pgbouncer runs); unset: direct, the default */
  via?: Via;
  /** the embedded database (--pglite runs); unset: PostgreSQL */
  engine?: 'pglite';
  accounts: number;
  connections: number;
  duration: number;
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  ok: number;
  non2xx: number;
  errors: number;
  statuses: Record<string, number>;
  cpu: CpuShare | null;
}

// ---- where the CPU went during a run (Linux /proc; null elsewhere) ----

/** CPU per request (ms) of the server process, its PostgreSQL backends and autocannon, and the
 * share of the machine used by everything else (other processes, PostgreSQL's own background). */
interface CpuShare {
  serverMs: number;
  postgresMs: number;
  clientMs: number;
  otherPct: number;
}

interface CpuSnapshot {
  machineBusy: number;
  machineTotal: number;
  server: number;
  backends: number;
  client: number;
}

const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10;
  }
})();

function procCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime
  } catch {
    return 0;
  }
}

function machineCpuMs(): { busy: number; total: number } | null {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .split(/\s+/)
      .slice(1)
      .map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq! + steal!;
    return { busy: busy * TICK_MS, total: (busy + idle! + iowait!) * TICK_MS };
  } catch {
    return null;
  }
}

/**
 * A checkpoint before each PostgreSQL scenario: after it, every page's first change writes the
 * whole page to the WAL (full_page_writes), so a scenario that ran just after one (a timed or
 * WAL-size checkpoint falling between scenarios) would pay that and the others not. With one at
 * every start, each scenario pays it alike.
 */
async function checkpoint(base: string): Promise<void> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    await c.query('CHECKPOINT');
  } finally {
    await c.end();
  }
}

/** `n` reads at once (each holds a pool connection for a moment), so the pool opens every connection. */
async function primePool(server: Server, keys: string[], n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await fetch(`${server.url}/v1/orders?limit=1`, {
        headers: { authorization: `Bearer ${keys[i % keys.length]}` },
      });
      await res.arrayBuffer();
    }),
  );
}

async function backendPids(base: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [BENCH_DB],
    );
    return r.rows.map((x) => x.pid);
  } finally {
    await c.end();
  }
}

function cpuSnapshot(serverPid: number, backends: number[]): CpuSnapshot | null {
  const m = machineCpuMs();
  if (!m) return null;
  const u = process.cpuUsage();
  return {
    machineBusy: m.busy,
    machineTotal: m.total,
    server: procCpuMs(serverPid),
    backends: backends.reduce((t, pid) => t + procCpuMs(pid), 0),
    client: (u.user + u.system) / 1000,
  };
}

/**
 * Waits until the server's background work of the last scenario has run (the receipt job queues a
 * mail per paid order every 5 s; on PGlite it runs in the server's one thread): until the server
 * and its PostgreSQL backends together use under 10 % of a core over 6 s (longer than the receipt
 * job's period; the mail job's bursts of 200 mails fit under it), at most 60 s. So each scenario's
 * window holds its own orders' background work (the receipts of all but its last seconds), not the
 * previous scenario's tail. Returns the ms waited.
 */
async function settle(server: Server, pgUrl: string | null): Promise<number> {
  const start = Date.now();
  const backends = pgUrl ? await backendPids(pgUrl) : [];
  const used = () => procCpuMs(server.child.pid!) + backends.reduce((t, pid) => t + procCpuMs(pid), 0);
  while (Date.now() - start < 60_000) {
    const a = used();
    await sleep(6000);
    if (used() - a < 600) break;
  }
  return Date.now() - start;
}

function cpuShare(a: CpuSnapshot | null, b: CpuSnapshot | null, requests: number): CpuShare | null {
  if (!a || !b || requests <= 0) return null;
  const server = b.server - a.server;
  const postgres = b.backends - a.backends;
  const client = b.client - a.client;
  const other = b.machineBusy - a.machineBusy - server - postgres - client;
  return {
    serverMs: server / requests,
    postgresMs: postgres / requests,
    clientMs: client / requests,
    otherPct: Math.max(0, (100 * other) / (b.machineTotal - a.machineTotal)),
  };
}

async function load(
  server: Server,
  name: string,
  keys: string[],
  connections: number,
  duration: number,
  idem: boolean,
  /** where to find the server's PostgreSQL backends; null on PGlite (in the server's process) */
  pgUrl: string | null,
): Promise<LoadResult> {
  let next = 0;
  // the server's pool closes connections idle for 10 s (a settle can last longer): open them all
  // again first, so the backends listed are the ones the load will use
  if (pgUrl) await primePool(server, keys, connections);
  const backends = pgUrl ? await backendPids(pgUrl) : [];
  const before = cpuSnapshot(server.child.pid!, backends);
  const r = await autocannon({
    url: `${server.url}/v1/orders`,
    method: 'POST',
    connections,
    duration,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[0]}` },
    body: ORDER_BODY,
    ...(idem ? { idReplacement: true } : {}),
    setupClient(client) {
      const key = keys[next++ % keys.length]!;
      client.setHeaders({
        'content-type': 'application/json',
        authorization: `Bearer ${key}`,
        ...(idem ? { 'idempotency-key': 'bench-[<id>]' } : {}),
      });
    },
  });
  const after = cpuSnapshot(server.child.pid!, backends);
  const statuses: Record<string, number> = {};
  for (const [code, s] of Object.entries(r.statusCodeStats ?? {})) statuses[code] = Number(s.count);
  return {
    scenario: name,
    accounts: keys.length,
    connections,
    duration: r.duration,
    reqPerSec: r.requests.average,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    statuses,
    cpu: cpuShare(before, after, r['2xx'] + r.non2xx),
  };
}

// ---- pgbench ----

interface PgbenchResult {
  tps: number;
  latencyMs: number;
  /** pgbench's own latency percentiles (ms), from its per-transaction log (`-l`); null if unread */
  latency: { p50: number; p90: number; p99: number; max: number; n: number } | null;
  connections: number;
  command: string;
  /** postgresMs: every PostgreSQL process (other databases' too), clientMs: pgbench itself */
  cpu: CpuShare | null;
}

/** CPU of every PostgreSQL process, including backends that exited (counted by the postmaster). */
function allPostgresCpuMs(): number {
  let total = 0;
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) * TICK_MS;
      if (Number(f[1]) === 1 || !fs.readFileSync(`/proc/${f[1]}/stat`, 'utf8').includes('(postgres)')) {
        total += (Number(f[13]) + Number(f[14])) * TICK_MS; // the postmaster: its children that exited
      }
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

function childrenCpuMs(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * TICK_MS;
}

/** Latency percentiles (ms) from pgbench's per-transaction logs in `dir` (`-l --log-prefix`):
 * one line per transaction, `client_id transaction_no time_us script_no epoch epoch_us`. */
function pgbenchLatency(dir: string): PgbenchResult['latency'] {
  const us: number[] = [];
  for (const file of fs.readdirSync(dir)) {
    for (const line of fs.readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const t = Number(line.split(' ')[2]);
      if (line && Number.isFinite(t)) us.push(t);
    }
  }
  if (us.length === 0) return null;
  us.sort((a, b) => a - b);
  const ms = (p: number) => percentile(us, p) / 1000;
  return { p50: ms(50), p90: ms(90), p99: ms(99), max: us[us.length - 1]! / 1000, n: us.length };
}

function pgbench(base: string, o: Options): PgbenchResult {
  const u = new URL(base);
  const conn = ['-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username || 'postgres')];
  execFileSync('pgbench', [...conn, '-i', '-q', '-s', String(o.scale), PGBENCH_DB], { stdio: 'pipe' });
  const args = ['-c', String(o.connections), '-j', '2', '-T', String(o.duration), '-l'];
  let before: { m: { busy: number; total: number } | null; pg: number; client: number } | null = null;
  try {
    before = { m: machineCpuMs(), pg: allPostgresCpuMs(), client: childrenCpuMs() };
  } catch {
    /* no /proc */
  }
  // every transaction's latency goes to a log per thread (a buffered line each: negligible cost)
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-pgbench-'));
  let out: string;
  let latency: PgbenchResult['latency'];
  try {
    out = execFileSync('pgbench', [...conn, ...args, `--log-prefix=${path.join(logDir, 'tx')}`, PGBENCH_DB], {
      encoding: 'utf8',
      stdio: 'pipe',
      cwd: logDir,
    });
    latency = pgbenchLatency(logDir);
  } finally {
    fs.rmSync(logDir, { recursive: true, force: true });
  }
  let cpu: CpuShare | null = null;
  const m = machineCpuMs();
  if (before?.m && m) {
    const tx = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? 0);
    const pgMs = allPostgresCpuMs() - before.pg;
    const clientMs = childrenCpuMs() - before.client;
    if (tx > 0) {
      cpu = {
        serverMs: 0,
        postgresMs: pgMs / tx,
        clientMs: clientMs / tx,
        otherPct: Math.max(
          0,
          (100 * (m.busy - before.m.busy - pgMs - clientMs)) / (m.total - before.m.total),
        ),
      };
    }
  }
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(out);
  const lat = /latency average = ([\d.]+) ms/.exec(out);
  if (!tps) throw new Error(`could not read pgbench's TPS from:\n${out}`);
  return {
    tps: Number(tps[1]),
    latencyMs: lat ? Number(lat[1]) : Number.NaN,
    latency,
    connections: o.connections,
    cpu,
    command: `pgbench -i -s ${o.scale}; pgbench ${args.join(' ')}`,
  };
}

// ---- checks ----

interface Checks {
  mismatches: number;
  orders: number;
  ok2xx: number;
  moneyTakenCents: number;
  ordersPayableCents: number;
  passed: boolean;
  notes: string[];
}

async function checkBooks(
  url: string,
  customers: Customer[],
  ok2xx: number,
  cutOff: number,
): Promise<Checks> {
  return booksOf(await openPostgres(url, 2), customers, ok2xx, cutOff);
}

/** --pglite: the embedded database's books, read once its server has stopped (one process at a time) */
async function checkPgliteBooks(
  dataDir: string,
  customers: Customer[],
  ok2xx: number,
  cutOff: number,
): Promise<Checks> {
  return booksOf(await openPglite(path.join(dataDir, 'pglite')), customers, ok2xx, cutOff);
}

async function booksOf(db: Db, customers: Customer[], ok2xx: number, cutOff: number): Promise<Checks> {
  try {
    const mismatches = await ledgerMismatches(db);
    const [o] = await db.query<{ n: number; payable: number }>(
      `SELECT count(*)::int8 AS n, COALESCE(sum(payable_cents), 0)::int8 AS payable FROM orders`,
    );
    const [b] = await db.query<{ balance: number }>(
      `SELECT COALESCE(sum(balance_cents), 0)::int8 AS balance FROM accounts WHERE id = ANY($1::text[])`,
      [customers.map((c) => c.id)],
    );
    const orders = o!.n;
    const moneyTakenCents = customers.length * START_BALANCE_USD * 100 - b!.balance;
    const notes: string[] = [];
    if (mismatches.length) notes.push(`${mismatches.length} balances differ from their ledger`);
    if (moneyTakenCents !== o!.payable) {
      notes.push(`money taken ${moneyTakenCents} ≠ orders' payable total ${o!.payable}`);
    }
    if (o!.payable !== orders * ORDER_CENTS)
      notes.push(`orders' payable total is not ${ORDER_CENTS} × orders`);
    // a duration-bound run cuts off the requests in flight at its end: the server may still have
    // committed them, so orders may exceed the 2xx received by at most the connections per run
    if (orders < ok2xx || orders - ok2xx > cutOff) {
      notes.push(`orders ${orders} vs 2xx ${ok2xx}: more apart than the ${cutOff} requests cut off`);
    }
    return {
      mismatches: mismatches.length,
      orders,
      ok2xx,
      moneyTakenCents,
      ordersPayableCents: o!.payable,
      passed: notes.length === 0,
      notes,
    };
  } finally {
    await db.close();
  }
}

// ---- how busy the machine is before we start (other processes skew every figure) ----

// ---- report ----

const f0 = (n: number) => Math.round(n).toLocaleString('en-US');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');

/** --pgbouncer: the three ways the server reaches PostgreSQL */
const VIAS = ['direct', 'unnamed', 'pgbouncer'] as const;
type Via = (typeof VIAS)[number];
const VIA_LABEL: Record<Via, string> = {
  direct: 'direct',
  unnamed: 'direct, prepared statements off',
  pgbouncer: 'via PgBouncer (transaction), prepared statements off',
};
const VIA_ENV: Record<Via, Record<string, string>> = {
  direct: {},
  unnamed: { DATABASE_PREPARED_STATEMENTS: 'off' },
  pgbouncer: { DATABASE_PREPARED_STATEMENTS: 'off' },
};

const LABEL: Record<Scenario, string> = {
  multi: 'POST /v1/orders, spread over accounts',
  single: 'POST /v1/orders, one account',
  idem: 'POST /v1/orders + Idempotency-Key',
};

function table(runs: LoadResult[], pgb: PgbenchResult | null, scale: number): string {
  const rows = [
    "| workload | accounts | conns | req/s | p50 ms | p90 ms | p99 ms | max ms | 2xx | non-2xx | errors | ÷ pgbench | CPU ms/req: server + PG + client | others' CPU |",
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of runs) {
    const c = r.cpu;
    const cpu = c ? `${f2(c.serverMs)} + ${f2(c.postgresMs)} + ${f2(c.clientMs)}` : '–';
    rows.push(
      `| ${LABEL[r.scenario as Scenario]}${r.via ? `, ${VIA_LABEL[r.via]}` : ''}${r.engine === 'pglite' ? ', **PGlite**' : ''} | ${r.accounts} | ${r.connections} | ${f0(r.reqPerSec)} | ${f1(r.p50)} | ${f1(r.p90)} | ${f1(r.p99)} | ${f0(r.max)} | ${f0(r.ok)} | ${f0(r.non2xx)} | ${r.errors} | ${pgb ? f2(r.reqPerSec / pgb.tps) : '–'} | ${cpu} | ${c ? `${f0(c.otherPct)}%` : '–'} |`,
    );
  }
  if (pgb) {
    const c = pgb.cpu;
    const cpu = c ? `– + ${f2(c.postgresMs)} + ${f2(c.clientMs)}` : '–';
    const l = pgb.latency;
    rows.push(
      `| pgbench TPC-B-like (scale ${scale}) | – | ${pgb.connections} | ${f0(pgb.tps)} TPS | ${l ? `${f1(l.p50)} | ${f1(l.p90)} | ${f1(l.p99)} | ${f0(l.max)}` : '– | – | – | –'} | – | – | – | 1.00 | ${cpu} | ${c ? `${f0(c.otherPct)}%` : '–'} |`,
    );
  }
  return rows.join('\n');
}

/** --pglite: each scenario's PGlite req/s ÷ its PostgreSQL req/s in the same run */
function pgliteRatios(runs: LoadResult[]): { scenario: Scenario; ratio: number }[] {
  const out: { scenario: Scenario; ratio: number }[] = [];
  for (const lite of runs.filter((r) => r.engine === 'pglite')) {
    const pgRun = runs.find((r) => r.scenario === lite.scenario && !r.engine);
    if (pgRun && pgRun.reqPerSec > 0) {
      out.push({ scenario: lite.scenario as Scenario, ratio: lite.reqPerSec / pgRun.reqPerSec });
    }
  }
  return out;
}

function pgliteVerdict(runs: LoadResult[]): string {
  const rs = pgliteRatios(runs);
  if (!rs.length) return 'PGlite target not evaluated';
  return `PGlite ÷ PostgreSQL (target ≥ 0.4): ${rs
    .map(({ scenario, ratio }) => `${scenario} ${f2(ratio)} ${ratio >= 0.4 ? '✓' : '✗'}`)
    .join(', ')}`;
}

/**
 * Issue 14's targets, each a ratio within this run: plain (spread over accounts) ≥ 1.0 × pgbench
 * TPS with p99 ≤ pgbench's p99 (from its -l log); + Idempotency-Key ≥ 0.9 × plain.
 */
function verdict(runs: LoadResult[], pgb: PgbenchResult | null): string {
  const multi = runs.find((r) => r.scenario === 'multi' && !r.engine && !r.via);
  const idem = runs.find((r) => r.scenario === 'idem' && !r.engine && !r.via);
  const parts: string[] = [];
  if (multi && idem && multi.reqPerSec > 0) {
    const r = idem.reqPerSec / multi.reqPerSec;
    parts.push(`idempotent ÷ plain ${f2(r)} ${r >= 0.9 ? '≥ 0.9 ✓' : '< 0.9 ✗'}`);
  }
  if (multi && pgb) {
    const ratio = multi.reqPerSec / pgb.tps;
    parts.push(`plain ÷ pgbench ${f2(ratio)} ${ratio >= 1 ? '≥ 1.0 ✓' : '< 1.0 ✗'}`);
    const p99 = pgb.latency?.p99;
    if (p99 !== undefined) {
      parts.push(
        `p99 ${f1(multi.p99)} ms ${multi.p99 <= p99 ? '≤' : '>'} pgbench's ${f1(p99)} ms ${multi.p99 <= p99 ? '✓' : '✗'}`,
      );
    }
  }
  if (!parts.length) return 'targets not evaluated (need the multi scenario with idem or pgbench)';
  return `targets (spread over accounts, ${multi?.connections ?? '?'} connections): ${parts.join('; ')}`;
}

function section(
  o: Options,
  m: Machine,
  busyBefore: number,
  runs: LoadResult[],
  pgb: PgbenchResult | null,
  checks: Checks,
  when: Date,
  liteChecks: Checks | null = null,
): string {
  const cmd = `npm run bench:orders -- --write${process.argv
    .slice(2)
    .filter((a) => a !== '--write')
    .map((a) => (/[\s"'|]/.test(a) ? ` "${a.replace(/["|]/g, "'")}"` : ` ${a}`))
    .join('')}`;
  return [
    `Run ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit \`${m.commit}\`, \`${cmd}\``,
    '',
    `Machine: ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGb} GB RAM, Node ${m.node}, PostgreSQL ${m.postgres} on 127.0.0.1 (server, PostgreSQL, autocannon and pgbench share the machine). Server: \`src/main.ts\` as a child process, pool of 10 connections, LOG_LEVEL=${o.logLevel}, rate limits lifted. Each load run: ${o.duration} s after a ${o.warmup} s warm-up; body \`${ORDER_BODY}\`. CPU used by other processes just before the run: ${busyBefore.toFixed(0)}%${busyBefore >= 15 ? ' (**busy: figures unreliable**)' : ''}.`,
    o.pgbouncer
      ? `\nThe same scenarios three ways, one after the other on the same database and accounts: direct (named prepared statements on the hot paths, the default); direct with \`DATABASE_PREPARED_STATEMENTS=off\` (every query unnamed: parsed and planned each time); and through ${pgbouncerVersion() ?? 'PgBouncer'} on 127.0.0.1 (\`pool_mode = transaction\`, \`default_pool_size = 10\`, the server's pool) with prepared statements off, as docs/deploy.md says for PgBouncer < 1.21. PgBouncer's own CPU counts in "others' CPU".`
      : '',
    o.pglite
      ? "\nThe same scenarios twice in one run: first the server on PostgreSQL, then a second server on the embedded PGlite database (no DATABASE_URL, a fresh temporary DATA_DIR, its own accounts made through the admin API, the same warm-up). On PGlite the database runs inside the server's process, so its CPU is in the server column (the PG column is 0)."
      : '',
    '',
    table(runs, pgb, o.scale),
    '',
    "CPU ms/req: CPU time per request of the server process, of its PostgreSQL backends and of autocannon (for pgbench: all PostgreSQL processes and pgbench, per transaction). Others' CPU: the share of the machine used by anything else during the run (PostgreSQL's background processes, other people's work); above ~15% the run was disturbed.",
    '',
    pgb
      ? `pgbench: \`${pgb.command}\` → ${f1(pgb.tps)} TPS, latency average ${f2(pgb.latencyMs)} ms${pgb.latency ? `; its percentiles come from its per-transaction log (\`-l\`, ${f0(pgb.latency.n)} transactions)` : ''}.`
      : '',
    '',
    `${verdict(runs, pgb)}.`,
    o.pglite ? `\n${pgliteVerdict(runs)}.` : '',
    '',
    `Books after the run: ${checks.passed ? 'consistent' : `**NOT consistent: ${checks.notes.join('; ')}**`} — ${f0(checks.orders)} orders for ${f0(checks.ok2xx)} 2xx responses (the difference is requests in flight when a run stopped), money taken ${(checks.moneyTakenCents / 100).toFixed(2)} USD = the orders' payable total, ${checks.mismatches} ledger mismatches.`,
    liteChecks
      ? `\nPGlite books (read after its server stopped): ${liteChecks.passed ? 'consistent' : `**NOT consistent: ${liteChecks.notes.join('; ')}**`} — ${f0(liteChecks.orders)} orders for ${f0(liteChecks.ok2xx)} 2xx responses, money taken ${(liteChecks.moneyTakenCents / 100).toFixed(2)} USD = the orders' payable total, ${liteChecks.mismatches} ledger mismatches.`
      : '',
  ]
    .filter((l, i, a) => !(l === '' && a[i - 1] === ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

function historyRow(
  o: Options,
  m: Machine,
  runs: LoadResult[],
  pgb: PgbenchResult | null,
  when: Date,
): string {
  const by = (s: Scenario) => runs.find((r) => r.scenario === s);
  const cell = (r: LoadResult | undefined) => (r ? `${f0(r.reqPerSec)} / ${f1(r.p99)}` : '–');
  if (o.pgbouncer) {
    // --pgbouncer: the first scenario run, by way of reaching PostgreSQL
    const first = runs[0]?.scenario;
    const via = (v: Via) => runs.find((r) => r.scenario === first && r.via === v);
    const d = via('direct');
    const b = via('pgbouncer');
    return `| ${when.toISOString().slice(0, 10)} | \`${m.commit}\` | ${m.cpus} CPU, PG ${m.postgres} | ${first ?? '–'} | ${cell(d)} | ${cell(via('unnamed'))} | ${cell(b)} | ${d && b ? f2(b.reqPerSec / d.reqPerSec) : '–'} | ${worstOthers(runs, pgb)} | ${o.note} |`;
  }
  if (o.pglite) {
    const pair = (s: Scenario) => {
      const p = runs.find((r) => r.scenario === s && !r.engine);
      const l = runs.find((r) => r.scenario === s && r.engine === 'pglite');
      return `${cell(p)} | ${cell(l)} | ${p && l ? f2(l.reqPerSec / p.reqPerSec) : '–'}`;
    };
    return `| ${when.toISOString().slice(0, 10)} | \`${m.commit}\` | ${m.cpus} CPU, PG ${m.postgres} | ${pair('multi')} | ${pair('idem')} | ${worstOthers(runs, pgb)} | ${o.note} |`;
  }
  const multi = by('multi');
  return `| ${when.toISOString().slice(0, 10)} | \`${m.commit}\` | ${m.cpus} CPU, PG ${m.postgres} | ${cell(multi)} | ${cell(by('single'))} | ${cell(by('idem'))} | ${pgb ? f0(pgb.tps) : '–'} | ${multi && pgb ? f2(multi.reqPerSec / pgb.tps) : '–'} | ${worstOthers(runs, pgb)} | ${o.note} |`;
}

/** The most any run's "others' CPU" reached: how disturbed the whole run was. */
function worstOthers(runs: LoadResult[], pgb: PgbenchResult | null): string {
  const all = [...runs.map((r) => r.cpu?.otherPct), pgb?.cpu?.otherPct].filter(
    (x): x is number => typeof x === 'number',
  );
  return all.length ? `${f0(Math.max(...all))}%` : '–';
}

/** `name`: orders, or orders-pgbouncer / orders-pglite for --pgbouncer / --pglite runs (sections of their own) */
function writeBenchmarks(latest: string, row: string, name: string): void {
  const LATEST_START = `<!-- bench:${name}:latest:start -->`;
  const LATEST_END = `<!-- bench:${name}:latest:end -->`;
  const HISTORY_END = `<!-- bench:${name}:history:end -->`;
  const text = fs.readFileSync(BENCHMARKS_MD, 'utf8');
  const a = text.indexOf(LATEST_START);
  const b = text.indexOf(LATEST_END);
  const h = text.indexOf(HISTORY_END);
  if (a < 0 || b < a || h < 0) {
    throw new Error(`${BENCHMARKS_MD} lacks the ${LATEST_START} / ${LATEST_END} / ${HISTORY_END} markers`);
  }
  let out = `${text.slice(0, a + LATEST_START.length)}\n${latest}\n${text.slice(b)}`;
  const hh = out.indexOf(HISTORY_END);
  out = `${out.slice(0, hh)}${row}\n${out.slice(hh)}`;
  fs.writeFileSync(BENCHMARKS_MD, out);
}

// ---- main ----

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const benchUrl = dbUrl(o.pgUrl, BENCH_DB);
  const m = await machine(o.pgUrl);
  const when = new Date();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-bench-'));
  const liteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-bench-pglite-'));
  const log = (s: string) => process.stderr.write(`${s}\n`);

  log(`bench:orders on ${m.cpus} CPUs, Node ${m.node}, PostgreSQL ${m.postgres}`);
  const busyBefore = await waitQuiet(o.waitQuiet, log);
  log(`CPU used by other processes: ${busyBefore.toFixed(0)}%`);
  await onServer(
    o.pgUrl,
    `DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`,
    `DROP DATABASE IF EXISTS ${PGBENCH_DB} WITH (FORCE)`,
    `CREATE DATABASE ${BENCH_DB}`,
  );
  let server: Server | null = null;
  let bouncer: Pgbouncer | null = null;
  try {
    if (o.pgbouncer && !findPgbouncer()) {
      throw new Error('--pgbouncer needs pgbouncer (apt-get install -y --no-install-recommends pgbouncer)');
    }
    const vias: (Via | undefined)[] = o.pgbouncer ? [...VIAS] : [undefined];
    let customers: Customer[] = [];
    let keys: string[] = [];
    let ok2xx = 0;
    let cutOff = 0;
    const runs: LoadResult[] = [];
    for (const via of vias) {
      let url = benchUrl;
      if (via === 'pgbouncer') {
        // as many server connections as the server's pool (DATABASE_POOL_SIZE, 10)
        bouncer = await startPgbouncer(benchUrl, 10);
        url = bouncer.url;
      }
      server = await startServer(url, o.logLevel, dataDir, via ? VIA_ENV[via] : {});
      log(`server${via ? ` (${VIA_LABEL[via]})` : ''} at ${server.url}`);
      if (customers.length === 0) {
        log(`creating ${o.accounts} accounts`);
        customers = await makeCustomers(server.url, o.accounts);
        keys = customers.map((c) => c.key);
        const first = await api(server.url, keys[0]!, 'POST', '/v1/orders', JSON.parse(ORDER_BODY));
        if (first.status !== 'completed' || first.total_usd !== 4.5) {
          throw new Error(`unexpected order: ${JSON.stringify(first)}`);
        }
        ok2xx += 1;
      }
      if (o.warmup > 0) {
        log(`warm-up ${o.warmup} s`);
        const w = await load(server, 'warmup', keys, o.connections, o.warmup, false, o.pgUrl);
        ok2xx += w.ok;
        cutOff += o.connections;
        await sleep(1000);
      }
      for (const s of o.only) {
        await checkpoint(o.pgUrl);
        log(`${s}${via ? ` (${VIA_LABEL[via]})` : ''}: ${o.connections} connections, ${o.duration} s`);
        const r = await load(
          server,
          s,
          s === 'single' ? [keys[0]!] : keys,
          o.connections,
          o.duration,
          s === 'idem',
          o.pgUrl,
        );
        if (via) r.via = via;
        runs.push(r);
        await sleep(1000); // let the requests cut off at the end finish on the server
        log(`  settled in ${await settle(server, o.pgUrl)} ms`);
        ok2xx += r.ok;
        cutOff += o.connections;
        log(
          `  ${f0(r.reqPerSec)} req/s, p50 ${f1(r.p50)} ms, p99 ${f1(r.p99)} ms, non-2xx ${r.non2xx}` +
            (r.cpu
              ? `; CPU ms/req server ${f2(r.cpu.serverMs)}, PG ${f2(r.cpu.postgresMs)}, client ${f2(r.cpu.clientMs)}; others ${f0(r.cpu.otherPct)}%`
              : ''),
        );
        if (r.non2xx) log(`  status codes: ${JSON.stringify(r.statuses)}`);
      }
      await server.stop();
      server = null;
    }
    if (bouncer) {
      await bouncer.stop();
      bouncer = null;
    }
    const checks = await checkBooks(benchUrl, customers, ok2xx, cutOff);

    let liteChecks: Checks | null = null;
    if (o.pglite) {
      // the same workload on the embedded database: a second server, no DATABASE_URL
      server = await startServer('', o.logLevel, liteDir);
      log(`server (PGlite in ${liteDir}) at ${server.url}`);
      log(`creating ${o.accounts} accounts`);
      const liteCustomers = await makeCustomers(server.url, o.accounts);
      const liteKeys = liteCustomers.map((c) => c.key);
      const first = await api(server.url, liteKeys[0]!, 'POST', '/v1/orders', JSON.parse(ORDER_BODY));
      if (first.status !== 'completed' || first.total_usd !== 4.5) {
        throw new Error(`unexpected order: ${JSON.stringify(first)}`);
      }
      let liteOk = 1;
      let liteCut = 0;
      if (o.warmup > 0) {
        log(`warm-up ${o.warmup} s (PGlite)`);
        const w = await load(server, 'warmup', liteKeys, o.connections, o.warmup, false, null);
        liteOk += w.ok;
        liteCut += o.connections;
        await sleep(1000);
      }
      for (const s of o.only) {
        log(`${s} (PGlite): ${o.connections} connections, ${o.duration} s`);
        const keysFor = s === 'single' ? [liteKeys[0]!] : liteKeys;
        const r = await load(server, s, keysFor, o.connections, o.duration, s === 'idem', null);
        r.engine = 'pglite';
        runs.push(r);
        await sleep(1000);
        log(`  settled in ${await settle(server, null)} ms`);
        liteOk += r.ok;
        liteCut += o.connections;
        log(
          `  ${f0(r.reqPerSec)} req/s, p50 ${f1(r.p50)} ms, p99 ${f1(r.p99)} ms, non-2xx ${r.non2xx}` +
            (r.cpu ? `; CPU ms/req server ${f2(r.cpu.serverMs)}; others ${f0(r.cpu.otherPct)}%` : ''),
        );
        if (r.non2xx) log(`  status codes: ${JSON.stringify(r.statuses)}`);
      }
      await server.stop();
      server = null;
      liteChecks = await checkPgliteBooks(liteDir, liteCustomers, liteOk, liteCut);
      log(pgliteVerdict(runs));
    }
    let pgb: PgbenchResult | null = null;
    if (o.pgbench) {
      log(`pgbench: -i -s ${o.scale}, then -c ${o.connections} -j 2 -T ${o.duration}`);
      await onServer(o.pgUrl, `CREATE DATABASE ${PGBENCH_DB}`);
      pgb = pgbench(o.pgUrl, o);
      const l = pgb.latency;
      log(
        `  ${f0(pgb.tps)} TPS` +
          (l ? `, p50 ${f1(l.p50)} ms, p90 ${f1(l.p90)} ms, p99 ${f1(l.p99)} ms, max ${f0(l.max)} ms` : '') +
          (pgb.cpu ? `; others ${f0(pgb.cpu.otherPct)}%` : ''),
      );
    }

    const latest = section(o, m, busyBefore, runs, pgb, checks, when, liteChecks);
    process.stdout.write(`\n${latest}\n\n`);
    if (o.write) {
      const name = o.pgbouncer ? 'orders-pgbouncer' : o.pglite ? 'orders-pglite' : 'orders';
      writeBenchmarks(latest, historyRow(o, m, runs, pgb, when), name);
      log(`recorded in ${path.relative(process.cwd(), BENCHMARKS_MD)}`);
    }
    if (!checks.passed || (liteChecks && !liteChecks.passed)) process.exitCode = 1;
  } finally {
    if (server) await server.stop();
    if (bouncer) await bouncer.stop();
    await onServer(
      o.pgUrl,
      `DROP DATABASE IF EXISTS ${BENCH_DB} WITH (FORCE)`,
      `DROP DATABASE IF EXISTS ${PGBENCH_DB} WITH (FORCE)`,
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(liteDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`bench:orders failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
