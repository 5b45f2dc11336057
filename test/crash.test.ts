/**
 * The proof on PostgreSQL (issue 13 item 5): two real server processes on one database take
 * 1,000 mixed orders (balance and card, residential and mobile) under Idempotency-Keys, both are
 * killed with SIGKILL mid-load, restarted, and every request is retried with its key and body
 * until it has a definite answer. Then no key made two orders, every balance is the sum of its
 * ledger, the card money charged is the card money credited, and nothing is left `processing`.
 * The same processes then race: 100 identical requests under one key, and ISP stock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../src/db/client.ts';
import { ledgerMismatches } from '../src/db/ledger.ts';
import { TEST_CARD } from './support/customers.ts';
import { moneyInvariantViolations } from './support/invariants.ts';
import { addStock } from './support/isp-stock.ts';
import { definite } from './support/keyed-orders.ts';
import {
  type Answer,
  PROCESS_ADMIN_TOKEN,
  request,
  type ServerProcess,
  startServer,
} from './support/processes.ts';
import { emptyPostgres, engine } from './support/test-db.ts';

const onPostgres = engine === 'postgres';
/** the sandbox card that is always declined */
const DECLINED_CARD = '4000000000000002';
if (!onPostgres) {
  console.log('crash.test.ts: skipped — the crash and two-process tests need PostgreSQL (set DATABASE_URL)');
}

let pgdb: { url: string; drop(): Promise<void> };
let db: Db;
let servers: ServerProcess[] = [];

async function startBoth(): Promise<void> {
  // one after the other: the first migrates, the second finds the schema in place
  const a = await startServer(pgdb.url);
  const b = await startServer(pgdb.url);
  servers = [a, b];
}

function admin(method: string, route: string, body?: unknown, server = 0): Promise<Answer> {
  return request(servers[server]!.url, method, route, { auth: PROCESS_ADMIN_TOKEN, body });
}

interface Customer {
  id: string;
  key: string;
  card: boolean;
}

async function customer(
  n: number,
  opts: { balanceUsd: number; card: boolean; cardNumber?: string; kyc?: boolean },
): Promise<Customer> {
  const acc = await admin('POST', '/admin/v1/accounts', {
    email: `crash${n}@example.com`,
    name: `Crash ${n}`,
  });
  expect(acc.status, JSON.stringify(acc.body)).toBe(200);
  const id = acc.body.id as string;
  const key = await admin('POST', `/admin/v1/accounts/${id}/api-keys`, {});
  expect(key.status).toBe(200);
  if (opts.balanceUsd > 0) {
    const adj = await admin('POST', `/admin/v1/accounts/${id}/balance-adjustments`, {
      amount_usd: opts.balanceUsd,
      reason: 'crash test funds',
    });
    expect(adj.status, JSON.stringify(adj.body)).toBe(200);
  }
  if (opts.kyc) {
    const k = await admin('POST', `/admin/v1/accounts/${id}/kyc`, { decision: 'approved' });
    expect(k.status, JSON.stringify(k.body)).toBe(200);
  }
  const c = { id, key: key.body.key as string, card: opts.card };
  if (opts.card) {
    const pm = await request(servers[n % 2]!.url, 'POST', '/v1/payment-methods', {
      auth: c.key,
      key: `pm-${n}`,
      body: { card: { number: opts.cardNumber ?? TEST_CARD, exp_month: 12, exp_year: 2030, cvc: '123' } },
    });
    expect(pm.status, JSON.stringify(pm.body)).toBe(200);
  }
  return c;
}

beforeAll(async () => {
  if (!onPostgres) return;
  pgdb = await emptyPostgres('orderdesk_crash');
  await startBoth();
  db = await openPostgres(pgdb.url, 5);
}, 60_000);

afterAll(async () => {
  if (!onPostgres) return;
  for (const s of servers) await s.kill();
  await db?.close();
  await pgdb?.drop();
});

/** Moves the shared test clock and runs the jobs that fell due (payment recovery among them). */
async function advance(seconds: number): Promise<void> {
  const res = await admin('POST', '/admin/v1/clock/advance', { seconds });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

interface Sent {
  key: string;
  customer: Customer;
  body: { product: string; gb: number };
  /** definite answers seen for this key (2xx and 4xx other than request_in_progress) */
  answers: Answer[];
  /** the last answer that was not definite (for the failure message) */
  last?: Answer;
}

describe.skipIf(!onPostgres)('crash: kill -9 of both processes mid-load (PostgreSQL)', () => {
  const figures: Record<string, number> = {};
  let customers: Customer[] = [];
  const sent: Sent[] = [];

  it('1,000 mixed orders, both processes killed at ~40 %, restarted, every request retried to a definite answer', async () => {
    // 8 pay from the balance, 8 from the card only (2 of those cards decline), 4 from a small
    // balance and the card for the rest; all KYC-approved (mobile needs it)
    customers = [];
    for (let n = 0; n < 20; n += 1) {
      const kind = n < 8 ? 'balance' : n < 16 ? 'card' : 'mixed';
      customers.push(
        await customer(n, {
          balanceUsd: kind === 'balance' ? 5000 : kind === 'mixed' ? 30 : 0,
          card: kind !== 'balance',
          ...(n === 14 || n === 15 ? { cardNumber: DECLINED_CARD } : {}),
          kyc: true,
        }),
      );
    }
    for (let i = 0; i < 1000; i += 1) {
      sent.push({
        key: `crash-${i}`,
        customer: customers[i % 20]!,
        body: { product: i % 3 === 0 ? 'mobile' : 'residential', gb: 1 + (i % 4) },
        answers: [],
      });
    }

    let acknowledged = 0;
    /** 5xx answers: retried like a lost connection, but each is a bug */
    const serverErrors: Answer[] = [];
    let killed = false;
    let connectionErrors = 0;
    const killAt = 400;
    let killing: Promise<void> | null = null;
    const pending = [...sent];
    /** first pass: 32 at a time over both processes, until the kill */
    async function worker(w: number): Promise<void> {
      for (;;) {
        const s = pending.shift();
        if (!s || killed) return;
        try {
          const a = await request(servers[w % 2]!.url, 'POST', '/v1/orders', {
            auth: s.customer.key,
            key: s.key,
            body: s.body,
          });
          if (definite(a)) {
            s.answers.push(a);
            acknowledged += 1;
          }
          if (a.status >= 500) serverErrors.push(a);
        } catch {
          connectionErrors += 1;
        }
        if (acknowledged >= killAt && !killing) {
          killed = true;
          killing = Promise.all(servers.map((x) => x.kill())).then(() => undefined);
        }
      }
    }
    await Promise.all(Array.from({ length: 32 }, (_, w) => worker(w)));
    await killing;
    expect(killed).toBe(true);
    figures.acknowledgedBeforeKill = acknowledged;
    figures.connectionErrorsAtKill = connectionErrors;

    // Both processes are dead, so every key still 'running' belongs to a request that died. Its
    // lease runs on wall time (LEASE_MS, 120 s, src/http/idempotency.ts); rather than sleep two
    // minutes, the test ends those leases as the passing of that time would.
    const leases = await db.query<{ key: string }>(
      `UPDATE idempotency_keys SET locked_until = now() - interval '1 second'
       WHERE state = 'running' AND locked_until > now() RETURNING key`,
    );
    figures.keysLockedByDeadRequests = leases.length;
    const halfDone = await db.query<{ n: number }>(
      `SELECT count(*)::int8 AS n FROM payments WHERE status = 'processing'`,
    );
    figures.paymentsProcessingAtKill = halfDone[0]!.n;
    await startBoth();
    // the test clock moves past the recovery delay and payment recovery runs
    await advance(120);

    let retries = 0;
    let rounds = 0;
    let open = sent.filter((s) => s.answers.length === 0);
    figures.unansweredAtKill = open.length;
    figures.neverSentBeforeKill = pending.length;
    while (open.length > 0) {
      rounds += 1;
      expect(
        rounds,
        `${open.length} requests without a definite answer: ${JSON.stringify(open.slice(0, 3).map((s) => s.last))}`,
      ).toBeLessThan(20);
      const queue = [...open];
      await Promise.all(
        Array.from({ length: 32 }, async (_, w) => {
          for (;;) {
            const s = queue.shift();
            if (!s) return;
            retries += 1;
            const a = await request(servers[w % 2]!.url, 'POST', '/v1/orders', {
              auth: s.customer.key,
              key: s.key,
              body: s.body,
            });
            if (definite(a)) s.answers.push(a);
            else s.last = a;
            if (a.status >= 500) serverErrors.push(a);
          }
        }),
      );
      open = sent.filter((s) => s.answers.length === 0);
      if (open.length > 0) await advance(60);
    }
    // every answered key, asked again, answers the same (a replay)
    for (const s of sent.filter((_, i) => i % 10 === 0)) {
      const a = await request(servers[1]!.url, 'POST', '/v1/orders', {
        auth: s.customer.key,
        key: s.key,
        body: s.body,
      });
      s.answers.push(a);
    }
    expect(serverErrors.slice(0, 5)).toEqual([]);
    figures.requestsAfterRestart = retries;
    figures.retryRounds = rounds;
  });

  it('no key made two orders; every 2xx order exists once; balances = Σ ledger; card charged = card credited', async () => {
    // recovery for anything half-done, then nothing is left processing
    await advance(120);
    const processing = await db.query<{ n: number }>(
      `SELECT count(*)::int8 AS n FROM payments WHERE status = 'processing'`,
    );
    expect(processing[0]!.n).toBe(0);

    const okKeys = new Map<string, string>();
    const statuses = new Map<string, number>();
    for (const s of sent) {
      const final = s.answers.at(-1)!;
      const label = final.status === 200 ? '200' : `${final.status} ${final.body?.error?.code}`;
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
      const ids = new Set(s.answers.filter((a) => a.status === 200).map((a) => a.body.id as string));
      // a key has one outcome: every 2xx under it names the same order, and no 2xx after a 4xx
      expect(ids.size, `${s.key}: ${JSON.stringify(s.answers)}`).toBeLessThanOrEqual(1);
      if (ids.size === 1) {
        expect(final.status, s.key).toBe(200);
        okKeys.set(s.key, [...ids][0]!);
      } else {
        expect(final.status, JSON.stringify(final.body)).toBeGreaterThanOrEqual(400);
        expect(final.body.error.code, JSON.stringify(final.body)).toBeTypeOf('string');
      }
    }
    const orders = await db.query<{ id: string; account_id: string; payment_status: string }>(
      `SELECT id, account_id, payment_status FROM orders`,
    );
    // everyone could pay but the two customers whose card is declined (100 orders)
    expect(okKeys.size).toBe(900);
    const ids = new Set(okKeys.values());
    expect(ids.size).toBe(okKeys.size);
    // every order in the database is one some key was answered with: none made twice
    expect(orders.length).toBe(okKeys.size);
    expect(new Set(orders.map((o) => o.id))).toEqual(ids);
    expect(orders.filter((o) => o.payment_status !== 'paid')).toEqual([]);

    expect(await ledgerMismatches(db)).toEqual([]);
    expect(await moneyInvariantViolations(db)).toEqual([]);

    const card = await db.query<{ charged: number; credited: number; charges: number }>(
      `SELECT
         (SELECT coalesce(sum(c.amount_cents - c.refunded_cents), 0)::int8 FROM sandbox_charges c
           JOIN payments p ON p.id = c.idempotency_key WHERE c.status = 'succeeded') AS charged,
         (SELECT count(*)::int8 FROM sandbox_charges c
           JOIN payments p ON p.id = c.idempotency_key WHERE c.status = 'succeeded') AS charges,
         (SELECT coalesce(sum(amount), 0)::int8 FROM ledger_entries WHERE cause = 'card_payment') AS credited`,
    );
    expect(card[0]!.charged).toBe(card[0]!.credited);
    expect(card[0]!.charges).toBeGreaterThan(0);
    // the balance-only customers' money went to orders only; the card ones' came from cards
    const cardOrders = await db.query<{ n: number }>(
      `SELECT count(DISTINCT order_id)::int8 AS n FROM ledger_entries WHERE cause = 'card_payment'`,
    );
    expect(cardOrders[0]!.n).toBeGreaterThan(0);

    console.log(
      'crash test:',
      JSON.stringify({
        ...figures,
        orders: orders.length,
        cardPaidOrders: cardOrders[0]!.n,
        cardChargedCents: card[0]!.charged,
        cardCreditedCents: card[0]!.credited,
        finalStatuses: Object.fromEntries([...statuses].sort()),
      }),
    );
  });

  it('100 concurrent identical requests under one key over both processes: one order, one charge', async () => {
    const buyer = customers[8]!;
    const before = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM orders');
    const chargesBefore = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM sandbox_charges');
    const body = { product: 'residential', gb: 2 };
    const send = (i: number) =>
      request(servers[i % 2]!.url, 'POST', '/v1/orders', { auth: buyer.key, key: 'race-same-key', body });
    let answers = await Promise.all(Array.from({ length: 100 }, (_, i) => send(i)));
    const first = new Map<number, number>();
    for (const a of answers) first.set(a.status, (first.get(a.status) ?? 0) + 1);
    // the losers of the race are 409 request_in_progress; retried, they replay the one order
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status, JSON.stringify(a.body)).toBe(409);
      expect(a.body.error.code).toBe('request_in_progress');
    }
    while (answers.some((a) => a.status !== 200)) {
      answers = await Promise.all(answers.map((a, i) => (a.status === 200 ? a : send(i))));
    }
    const orderIds = new Set(answers.map((a) => a.body.id as string));
    expect(orderIds.size).toBe(1);
    const after = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM orders');
    const chargesAfter = await db.query<{ n: number }>('SELECT count(*)::int8 AS n FROM sandbox_charges');
    expect(after[0]!.n - before[0]!.n).toBe(1);
    expect(chargesAfter[0]!.n - chargesBefore[0]!.n).toBe(1);
    console.log('same-key race:', JSON.stringify({ requests: 100, firstAnswers: Object.fromEntries(first) }));
  });

  it('ISP stock race over both processes: 100 IPs, 40 concurrent orders of 7 → exactly 14 succeed, no IP in two batches', async () => {
    await addStock(db, { country: 'de', city: 'berlin', asn: 64777, count: 100 });
    const buyers: Customer[] = [];
    for (let n = 100; n < 104; n += 1)
      buyers.push(await customer(n, { balanceUsd: 5000, card: false, kyc: true }));
    const body = { product: 'isp', country: 'de', city: 'berlin', asn: 64777, quantity: 7 };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        request(servers[i % 2]!.url, 'POST', '/v1/orders', { auth: buyers[i % 4]!.key, body }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(Math.floor(100 / 7));
    for (const r of results.filter((x) => x.status !== 200)) {
      expect(r.status, JSON.stringify(r.body)).toBe(422);
      expect(r.body.error.code).toBe('insufficient_inventory');
    }
    const rows = await db.query<{ batch_id: string; ip_id: string }>(
      `SELECT bi.batch_id, bi.ip_id FROM isp_batch_ips bi JOIN isp_ips i ON i.id = bi.ip_id WHERE i.asn = 64777`,
    );
    expect(rows).toHaveLength(14 * 7);
    expect(new Set(rows.map((r) => r.ip_id)).size).toBe(14 * 7);
    const batchIds = new Set(ok.map((r) => r.body.details.batch_id as string));
    expect(new Set(rows.map((r) => r.batch_id))).toEqual(batchIds);
    expect(await moneyInvariantViolations(db)).toEqual([]);
    console.log(
      'ISP stock race:',
      JSON.stringify({ ips: 100, orders: 40, quantity: 7, succeeded: ok.length, allocated: rows.length }),
    );
  });
});
