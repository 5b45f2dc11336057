/**
 * The Idempotency-Key of an order paid from the balance costs no round trip of its own (issue 14
 * item 1): the statement that pays also claims the key, links the order and stores the answer
 * (db/ledger.ts KeyRecord). What must hold: the same number of statements with and without a key;
 * the stored answer is the bytes sent; a key with a row (finished, running, expired) sends the
 * request down the claiming path unchanged; of two racing requests with one key exactly one pays;
 * the work done and the answer stored are one — nothing to recover between them.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrderRecordingKey } from '../src/app/orders/place-order.ts';
import { priceOrder } from '../src/app/orders/price-order.ts';
import { stringify } from '../src/contract/json.ts';
import { presentOrder } from '../src/contract/order.ts';
import { getAccount } from '../src/db/accounts.ts';
import type { Db, ScriptSql, Sql } from '../src/db/client.ts';
import { claimKey, isKeyTaken, readKey } from '../src/db/idempotency.ts';
import { payOrderFromBalance } from '../src/db/ledger.ts';
import type { Order } from '../src/domain/order.ts';
import { buildApp } from '../src/http/app.ts';
import { requestHash } from '../src/http/idempotency.ts';
import { type Harness, harness, makeDeps } from './support/harness.ts';

const ONE_GB = { product: 'residential', gb: 1 } as const;

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

async function balanceCents(accountId: string): Promise<number> {
  const [row] = await h.db.query<{ b: number }>('SELECT balance_cents AS b FROM accounts WHERE id = $1', [
    accountId,
  ]);
  return row!.b;
}

async function ordersOf(accountId: string): Promise<string[]> {
  const rows = await h.db.query<{ id: string }>('SELECT id FROM orders WHERE account_id = $1 ORDER BY id', [
    accountId,
  ]);
  return rows.map((r) => r.id);
}

/** `db` with every statement counted (a transaction counts its BEGIN and COMMIT too). */
function counted(db: Db): { db: Db; statements: () => number } {
  let n = 0;
  const wrap = <T extends Sql>(q: T): T =>
    new Proxy(q, {
      get(target, prop, receiver) {
        if (prop === 'query') {
          return (...args: Parameters<Sql['query']>) => {
            n += 1;
            return target.query(...args);
          };
        }
        if (prop === 'tx') {
          return <R>(fn: (inner: ScriptSql) => Promise<R>) => {
            n += 2;
            return (target as unknown as Db).tx((inner) => fn(wrap(inner)));
          };
        }
        if (prop === 'read') return wrap((target as unknown as Db).read);
        return Reflect.get(target, prop, receiver);
      },
    });
  return { db: wrap(db), statements: () => n };
}

describe('one statement for the order and its key', () => {
  let app: FastifyInstance;
  let count: () => number;
  beforeAll(async () => {
    const c = counted(h.db);
    count = c.statements;
    app = await buildApp((await makeDeps(c.db)).deps);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const post = (key: string, idem?: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${key}`, ...(idem ? { 'idempotency-key': idem } : {}) },
      payload: ONE_GB,
    });

  it('an order with an Idempotency-Key takes as many statements as one without', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    // warm the process's caches (prices, the request-hash secret) first
    expect((await post(c.key)).statusCode).toBe(200);
    expect((await post(c.key, 'warm-up')).statusCode).toBe(200);

    let before = count();
    const plain = await post(c.key);
    const plainStatements = count() - before;
    before = count();
    const keyed = await post(c.key, 'one-statement-1');
    const keyedStatements = count() - before;

    expect(plain.statusCode).toBe(200);
    expect(keyed.statusCode, keyed.body).toBe(200);
    expect(keyed.headers['idempotent-replayed']).toBeUndefined();
    expect(keyedStatements).toBe(plainStatements);
    // authentication (the key, the account, its webhook flag, its discounts), the test clock's read
    // (the tests' clock lives in the database; the system clock reads nothing) and the payment
    expect(plainStatements).toBe(3);

    // the key is finished with the very bytes sent, linked to the order
    const row = await readKey(h.db, c.id, 'one-statement-1');
    expect(row).toMatchObject({ state: 'done', statusCode: 200, resourceType: 'order' });
    expect(row?.responseBody).toBe(keyed.body);
    expect(row?.resourceId).toBe(keyed.json().id);
    expect(row?.requestHash).toBe(await requestHash(h.db, 'POST', '/v1/orders', ONE_GB));

    // the replay: the stored bytes, nothing charged again (4 orders of 4.50 from 100.00)
    const again = await post(c.key, 'one-statement-1');
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(keyed.body);
    expect(await balanceCents(c.id)).toBe(10_000 - 4 * 450);
    expect(await ordersOf(c.id)).toHaveLength(4);
  });

  it('an answer that is not a paid order (a 409 insufficient_balance) is claimed and stored as before', async () => {
    const c = await h.customer();
    const first = await post(c.key, 'short-1');
    expect(first.statusCode).toBe(409);
    expect(first.json().error.code).toBe('insufficient_balance');
    const row = await readKey(h.db, c.id, 'short-1');
    expect(row).toMatchObject({ state: 'done', statusCode: 409, resourceId: null });
    expect(row?.responseBody).toBe(first.body);
  });

  it('a card-paid order claims the key first (the card is charged outside the statement)', async () => {
    const c = await h.customer({ balanceUsd: 1 });
    const pm = await app.inject({
      method: 'POST',
      url: '/v1/payment-methods',
      headers: { authorization: `Bearer ${c.key}` },
      payload: { card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2030, cvc: '123' } },
    });
    expect(pm.statusCode, pm.body).toBe(200);
    const first = await post(c.key, 'card-1');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json().paid_usd).toBe(4.5);
    const again = await post(c.key, 'card-1');
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await ordersOf(c.id)).toHaveLength(1);
  });
});

describe('the statement that records the key', () => {
  /** A priced 1 GB residential order for `accountId`, placed through the hot path with `idem`. */
  async function placeRecording(
    accountId: string,
    idem: string,
    answer = (o: Order) => stringify(presentOrder(o)),
  ) {
    const account = await getAccount(h.db, accountId);
    expect(account).not.toBeNull();
    return placeOrderRecordingKey(
      h.deps,
      {
        accountId,
        principal: { account: account!, hasWebhooks: false, contractDiscounts: {} },
        input: { product: 'residential', gb: 1 },
      },
      {
        scope: accountId,
        key: idem,
        requestHash: await requestHash(h.db, 'POST', '/v1/orders', ONE_GB),
        answer,
      },
    );
  }

  it('writes nothing when the key already has a row, finished or running', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const done = await placeRecording(c.id, 'rec-1');
    expect(done).not.toBeNull();
    expect(await placeRecording(c.id, 'rec-1')).toBeNull();
    // a running claim of another request
    const now = await h.clock.now();
    await claimKey(h.db, {
      scope: c.id,
      key: 'rec-2',
      requestHash: 'x',
      now,
      leaseUntil: new Date(Date.now() + 60_000),
      expiredBefore: new Date(0),
    });
    expect(await placeRecording(c.id, 'rec-2')).toBeNull();
    expect(await ordersOf(c.id)).toEqual([done!.id]);
    expect(await balanceCents(c.id)).toBe(10_000 - 450);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a request that dies after the statement is answered with its order: the answer was stored with it', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    // the "process" did the work and stored the answer, then died before sending it
    let stored = '';
    const placed = await placeRecording(c.id, 'died-1', (o) => {
      stored = stringify(presentOrder(o));
      return stored;
    });
    expect(placed).not.toBeNull();
    const retry = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: ONE_GB,
      headers: { 'idempotency-key': 'died-1' },
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toBe(stored);
    expect(await ordersOf(c.id)).toEqual([placed!.id]);
    expect(await balanceCents(c.id)).toBe(10_000 - 450);
  });

  it('20 racing requests with one key: one order, one debit, every answer the same', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        h.call('POST', '/v1/orders', { key: c.key, body: ONE_GB, headers: { 'idempotency-key': 'race-1' } }),
      ),
    );
    const ok = answers.filter((a) => a.statusCode === 200);
    const busy = answers.filter((a) => a.statusCode === 409);
    expect(ok.length + busy.length).toBe(20);
    for (const a of busy) expect(a.json().error.code).toBe('request_in_progress');
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((a) => a.body)).size).toBe(1);
    expect(await ordersOf(c.id)).toHaveLength(1);
    expect(await balanceCents(c.id)).toBe(10_000 - 450);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('the race inside PostgreSQL', () => {
  it('a second statement with the same key, blocked behind the first, fails with the key taken and writes nothing', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const now = await h.clock.now();
    const price = async () => {
      const r = await priceOrder(h.db, h.deps.ids, c.id, { product: 'residential', gb: 1 }, now);
      if (!r.ok) throw new Error(r.error.message);
      return r.value;
    };
    const record = { scope: c.id, key: 'pg-race', requestHash: 'h', statusCode: 200, responseBody: '{}' };
    const pay = (q: Sql, order: Order) =>
      payOrderFromBalance(q, {
        order,
        cause: 'paid from balance',
        cashEntryId: h.deps.ids.next('txn'),
        pool: null,
        idem: null,
        record,
        at: now,
      });
    const [first, second] = [await price(), await price()];

    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let firstWrote!: () => void;
    const wrote = new Promise<void>((r) => {
      firstWrote = r;
    });
    // the first pays inside a transaction that stays open: it holds the account row and the key
    const tx = h.db.tx(async (q) => {
      const entry = await pay(q, first);
      firstWrote();
      await held;
      return entry;
    });
    await wrote;
    // the second: its NOT EXISTS sees no key yet (not committed), so it waits on the account row
    const racing = pay(h.db, second).then(
      (entry) => ({ entry, error: null as unknown }),
      (error: unknown) => ({ entry: null, error }),
    );
    // wait until PostgreSQL shows it blocked on a lock (polling the server, not the wall clock)
    for (;;) {
      const [row] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE wait_event_type = 'Lock' AND query LIKE 'WITH moved AS%' AND datname = current_database()`,
      );
      if (row!.n > 0) break;
    }
    release();
    expect(await tx).not.toBeNull();
    const out = await racing;
    expect(out.entry).toBeNull();
    expect(isKeyTaken(out.error)).toBe(true);
    expect(await ordersOf(c.id)).toEqual([first.id]);
    expect(await balanceCents(c.id)).toBe(10_000 - 450);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
