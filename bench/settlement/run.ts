/**
 * bench:settlement — one hourly settlement run over 10,000 postpaid servers and 1,000
 * reserved-instance coupons on PostgreSQL (issue 11), against a plain `INSERT … SELECT` of the same
 * rows in the same run.
 *
 *   npm run bench:settlement                 # run, print the table
 *   npm run bench:settlement -- --write      # … and record it in bench/BENCHMARKS.md
 *
 * Options: --pg postgres://postgres@127.0.0.1:5432/test (or DATABASE_URL), --servers 10000,
 *          --coupons 1000, --accounts 1000, --rounds 3, --batch 200 (accounts per transaction),
 *          --wait-quiet 0 (wait up to this many seconds for other processes to leave the CPUs idle)
 *
 * Setup (SQL, not timed): --accounts accounts with a large balance (and its ledger entry),
 * --servers running postpaid servers spread over them round-robin (a quarter each of the four
 * specs), --coupons one-instance coupons, each on the account and spec of one server (so each
 * covers exactly one server-hour an hour). Then, --rounds times: the test clock moves one hour and
 * `settleServerHours` (app/settlement, the job's use-case, default batches of 200 accounts) bills
 * that hour: servers detail rows, servers − coupons 'usage_charge' ledger entries, the balances
 * moved. The anchor, in the same round: one transaction of two plain `INSERT … SELECT`s writing the
 * same number of rows into copies of server_charges and ledger_entries (same columns, indexes and
 * checks): what the rows alone cost to write. Reported: the median of the rounds; the ratio is
 * settlement ÷ anchor. Checks: each round bills every server once, the coupons cover their hours,
 * and every balance equals the sum of its ledger entries.
 */
import { cliArg as arg, machine, percentile, waitQuiet, writeBenchSection } from '../support.ts';

const START_MARK = '<!-- bench:settlement:start -->';
const END_MARK = '<!-- bench:settlement:end -->';
const write = process.argv.includes('--write');
process.env.DATABASE_URL = arg('pg') ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SERVERS = Number(arg('servers') ?? 10_000);
const COUPONS = Number(arg('coupons') ?? 1_000);
const ACCOUNTS = Number(arg('accounts') ?? 1_000);
const ROUNDS = Number(arg('rounds') ?? 3);
const BATCH = Number(arg('batch') ?? 200);

const { default: setupTemplate } = await import('../../test/support/global-setup.ts');
const teardownTemplate = await setupTemplate();
const { harness } = await import('../../test/support/harness.ts');
const { settleServerHours } = await import('../../src/app/settlement/settle-server-hours.ts');

const h = await harness();

const SPECS = ['s1.small', 's1.medium', 's1.large', 's1.xlarge'];

async function seed(): Promise<void> {
  const c = await h.customer({ balanceUsd: 100, kyc: true });
  // one real order for the foreign keys of the rows below
  const res = await h.call('POST', '/v1/orders', {
    key: c.key,
    body: { product: 'server', spec: 's1.small', payment_mode: 'postpaid' },
  });
  if (res.statusCode !== 200) throw new Error(`order: ${res.body}`);
  const orderId = res.json().id as string;
  const at = await h.clock.now();
  await h.db.query(
    `INSERT INTO accounts (id, email, name, balance_cents, kyc_status, created_at, updated_at)
     SELECT 'acc_bench' || lpad(i::text, 6, '0'), 'bench' || i || '@example.com', 'bench ' || i,
       100000000, 'approved', $2, $2
     FROM generate_series(1, $1::int4) AS i`,
    [ACCOUNTS, at],
  );
  await h.db.query(
    `INSERT INTO ledger_entries (id, account_id, asset, amount, balance_after, cause, memo, created_at)
     SELECT 'txn_bench' || lpad(i::text, 6, '0'), 'acc_bench' || lpad(i::text, 6, '0'), 'cash', 100000000,
       100000000, 'adjustment', 'bench funds', $2
     FROM generate_series(1, $1::int4) AS i`,
    [ACCOUNTS, at],
  );
  await h.db.query(
    `INSERT INTO servers (id, account_id, spec, payment_mode, status, paid_cents, order_id, created_at, updated_at)
     SELECT 'ins_bench' || lpad(i::text, 6, '0'), 'acc_bench' || lpad((1 + i % $2::int4)::text, 6, '0'),
       ($3::text[])[1 + (i / $2::int4) % 4], 'postpaid', 'running', 0, $4, $5, $5
     FROM generate_series(0, $1::int4 - 1) AS i`,
    [SERVERS, ACCOUNTS, SPECS, orderId, at],
  );
  // coupon i: the account and spec of server i (spread over the servers)
  await h.db.query(
    `INSERT INTO reserved_instances (id, account_id, spec, count, years, status, value_cents, term_starts_at,
       term_ends_at, starts_at, ends_at, created_by_order_id, created_at, updated_at)
     SELECT 'ri_bench' || lpad(k::text, 6, '0'), s.account_id, s.spec, 1, 1, 'active', 0, $3::timestamptz,
       $3::timestamptz + interval '1 year', $3::timestamptz, $3::timestamptz + interval '1 year', $4, $3::timestamptz, $3::timestamptz
     FROM generate_series(0, $1::int4 - 1) AS k
     JOIN servers s ON s.id = 'ins_bench' || lpad((k * ($2::int4 / $1::int4))::text, 6, '0')`,
    [COUPONS, SERVERS, at, orderId],
  );
  // the customer's own server is stopped and its hour billed, so that every billed row is a bench row
  await h.db.query(`UPDATE servers SET status = 'stopped', stopped_at = $1 WHERE account_id = $2`, [
    at,
    c.id,
  ]);
  await h.db.query(
    `INSERT INTO server_billing (server_id, billed_through) SELECT id, $1 FROM servers WHERE account_id = $2`,
    [new Date(Math.ceil(at.getTime() / 3_600_000) * 3_600_000 + 3_600_000), c.id],
  );
  await h.db.query('CREATE TABLE bench_server_charges (LIKE server_charges INCLUDING ALL)');
  await h.db.query('CREATE TABLE bench_ledger_entries (LIKE ledger_entries INCLUDING ALL)');
  await h.db.query('ANALYZE');
}

/** The anchor: the same rows written by two plain INSERT … SELECTs in one transaction. */
async function insertSelect(round: number, hourFrom: Date): Promise<{ ms: number; rows: number }> {
  const t0 = performance.now();
  const rows = await h.db.tx(async (q) => {
    const a = await q.query(
      `INSERT INTO bench_server_charges (server_id, hour_from, hour_to, account_id, spec, unit_price4, covered,
         amount_cents, ledger_entry_id, run_id, created_at)
       SELECT s.id, $1::timestamptz, $1::timestamptz + interval '1 hour', s.account_id, s.spec, 300, false, 3,
         'txn_b' || $2::int4 || s.id, 1, now()
       FROM servers s WHERE s.id LIKE 'ins_bench%' RETURNING 1`,
      [hourFrom, round],
    );
    const b = await q.query(
      `INSERT INTO bench_ledger_entries (id, account_id, asset, amount, balance_after, cause, memo, created_at)
       SELECT 'txn_b' || $1::int4 || s.id, s.account_id, 'cash', -3, 0, 'usage_charge', 'server ' || s.id, now()
       FROM servers s WHERE s.id LIKE 'ins_bench%' LIMIT $2 RETURNING 1`,
      [round, SERVERS - COUPONS],
    );
    return a.length + b.length;
  });
  return { ms: performance.now() - t0, rows };
}

interface Round {
  settleMs: number;
  anchorMs: number;
  detailRows: number;
  ledgerRows: number;
  covered: number;
  anchorRows: number;
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const [r] = await h.db.query<{ n: number }>(sql, params);
  return Number(r!.n);
}

const ms = (x: number) => x.toFixed(1);

try {
  const m = await machine(process.env.DATABASE_URL!);
  await seed();
  const busy = await waitQuiet(Number(arg('wait-quiet') ?? 0), console.log);
  const rounds: Round[] = [];
  let ok = true;
  for (let i = 1; i <= ROUNDS; i++) {
    await h.clock.advance(3600);
    const hourFrom = new Date(
      Math.floor((await h.clock.now()).getTime() / 3_600_000) * 3_600_000 - 3_600_000,
    );
    const anchor = await insertSelect(i, hourFrom);
    const t0 = performance.now();
    const run = await settleServerHours(h.deps, { batchSize: BATCH });
    const settleMs = performance.now() - t0;
    if (!run.ok) throw new Error('settlement failed');
    const detailRows = await count('SELECT count(*) AS n FROM server_charges WHERE run_id = $1', [
      run.value.id,
    ]);
    const ledgerRows = await count(
      `SELECT count(*) AS n FROM ledger_entries l JOIN server_charges c ON c.ledger_entry_id = l.id WHERE c.run_id = $1`,
      [run.value.id],
    );
    const r: Round = {
      settleMs,
      anchorMs: anchor.ms,
      detailRows,
      ledgerRows,
      covered: run.value.coveredHours,
      anchorRows: anchor.rows,
    };
    rounds.push(r);
    console.log(
      `round ${i}: settlement ${ms(settleMs)} ms (${detailRows} detail + ${ledgerRows} ledger rows, ${r.covered} covered), ` +
        `INSERT … SELECT ${ms(anchor.ms)} ms (${anchor.rows} rows)`,
    );
    if (detailRows !== SERVERS || r.covered !== COUPONS || ledgerRows !== SERVERS - COUPONS) ok = false;
    if (anchor.rows !== detailRows + ledgerRows) ok = false;
  }
  const mismatches = await h.ledgerMismatches();
  if (mismatches.length > 0) ok = false;
  const med = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  const settle = med(rounds.map((r) => r.settleMs));
  const anchor = med(rounds.map((r) => r.anchorMs));
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const section = [
    START_MARK,
    '## bench/settlement — one hourly settlement run, against a plain INSERT … SELECT (PostgreSQL)',
    '',
    `**What.** ${SERVERS.toLocaleString('en')} running postpaid servers (the four specs in equal parts) over`,
    `${ACCOUNTS.toLocaleString('en')} accounts and ${COUPONS.toLocaleString('en')} one-instance coupons (each matching one server);`,
    `the clock moves one hour and \`settleServerHours\` (the job's use-case: batches of ${BATCH} accounts,`,
    'each one transaction — lock the accounts, compute the hours and the coupon coverage in one',
    'statement, write the cursors, detail rows, ledger entries and balances in a second) bills that',
    `hour: ${SERVERS.toLocaleString('en')} detail rows and ${(SERVERS - COUPONS).toLocaleString('en')} ledger entries. The anchor, in the same round:`,
    'one transaction of two plain `INSERT … SELECT`s writing as many rows into copies of the two',
    'tables (same indexes and checks). Median of the rounds; ratio = settlement ÷ anchor.',
    '',
    `Run ${when} UTC, \`npm run bench:settlement${write ? ' -- --write' : ''}\`. Machine: ${m.cpus} CPUs (${m.cpuModel}),`,
    `${m.memoryGb} GB, Node ${m.node}, PostgreSQL ${m.postgres} at ${new URL(process.env.DATABASE_URL!).host}; commit ${m.commit}; app in-process;`,
    `other processes used ${busy.toFixed(0)}% of the CPUs when it started.`,
    '',
    '| round | settlement run | rows written (detail + ledger) | covered hours | INSERT … SELECT | rows | ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${ms(r.settleMs)} ms | ${r.detailRows} + ${r.ledgerRows} | ${r.covered} | ${ms(r.anchorMs)} ms | ${r.anchorRows} | ${(r.settleMs / r.anchorMs).toFixed(1)} |`,
    ),
    `| **median** | **${ms(settle)} ms** | | | **${ms(anchor)} ms** | | **${(settle / anchor).toFixed(1)}** |`,
    '',
    "Besides the rows the anchor writes, a run locks the accounts, works out every server's hours and",
    'their coupon coverage, moves 10,000 cursors by compare-and-set and 1,000 cached balances, and the',
    "ledger's foreign key checks each entry (the copies have none); under EXPLAIN ANALYZE, before the",
    'cursors moved to their own narrow table (HOT updates), the `servers` update alone was 40% of the writing statement.',
    '',
    `Checks: every server billed once per round, the coupons covered ${COUPONS} hours a round, ledger ${
      mismatches.length === 0 ? 'balanced' : 'MISMATCH'
    }${ok ? '' : ' — A CHECK FAILED'}.`,
    END_MARK,
  ].join('\n');
  console.log(section);
  if (write) writeBenchSection('settlement', section);
  if (!ok) process.exitCode = 1;
} finally {
  await h.close();
  await teardownTemplate();
}
