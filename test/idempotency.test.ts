/**
 * Idempotency-Key (SPEC §1): the first response is stored for at least 24 h and replayed with
 * Idempotent-Replayed: true; a different body is 422 idempotency_key_reused; a repeat while the
 * first runs is 409 request_in_progress; keys are per account; 400s are not stored; it holds
 * across processes; a request that died is taken over without doing its work twice.
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { type Db, openPostgres } from '../src/db/client.ts';
import { claimKey, readKey } from '../src/db/idempotency.ts';
import { buildApp } from '../src/http/app.ts';
import { LEASE_MS, RETENTION_MS, requestHash } from '../src/http/idempotency.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { type Harness, harness, makeDeps } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const ONE_GB = { product: 'residential', gb: 1 } as const;

function order(key: string, idem: string, body: unknown = ONE_GB) {
  return h.call('POST', '/v1/orders', { key, body, headers: { 'idempotency-key': idem } });
}

async function balance(key: string): Promise<number> {
  return (await h.call('GET', '/v1/account', { key })).json().balance_usd;
}

async function orderIds(key: string): Promise<string[]> {
  const res = await h.call('GET', '/v1/orders?limit=100', { key });
  return res.json().data.map((o: { id: string }) => o.id);
}

/** Card charges the sandbox gateway took for the account (one per payment it was asked for). */
async function chargesOf(accountId: string): Promise<number> {
  const [row] = await h.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sandbox_charges
     WHERE idempotency_key IN (SELECT id FROM payments WHERE account_id = $1)`,
    [accountId],
  );
  return row!.n;
}

async function withCard(): Promise<{ id: string; key: string }> {
  const c = await h.customer();
  const pm = await h.call('POST', '/v1/payment-methods', {
    key: c.key,
    body: { card: { number: '4242 4242 4242 4242', exp_month: 12, exp_year: 2030, cvc: '123' } },
  });
  expect(pm.statusCode, pm.body).toBe(200);
  return c;
}

/** A key some other process holds: claimed with the request's hash and a lease ending at `leaseUntil`. */
async function claimedElsewhere(accountId: string, idem: string, leaseUntil: Date) {
  const claimed = await claimKey(h.db, {
    scope: accountId,
    key: idem,
    requestHash: await requestHash(h.db, 'POST', '/v1/orders', ONE_GB),
    now: await h.clock.now(),
    leaseUntil,
    expiredBefore: new Date(0),
  });
  expect(claimed).toBe(true);
}

function replayed(res: LightMyRequestResponse): boolean {
  return res.headers['idempotent-replayed'] === 'true';
}

describe('a repeat with the same key and the same body', () => {
  it('returns the stored status and body with Idempotent-Replayed: true and does nothing again', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const first = await order(c.key, 'same-key-1');
    expect(first.statusCode).toBe(200);
    expect(replayed(first)).toBe(false);
    const again = await order(c.key, 'same-key-1');
    expect(again.statusCode).toBe(200);
    expect(replayed(again)).toBe(true);
    expect(again.body).toBe(first.body);
    expect(again.headers['content-type']).toMatch(/^application\/json/);
    expect(again.headers['request-id']).toMatch(/^req_/);
    expect(await orderIds(c.key)).toEqual([first.json().id]);
    expect(await balance(c.key)).toBe(95.5);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('replays a stored error too: 409 insufficient_balance stays the answer after the balance is funded', async () => {
    const c = await h.customer();
    const first = await order(c.key, 'declined-once');
    expect(first.statusCode).toBe(409);
    expect(first.json().error.code).toBe('insufficient_balance');
    await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: 100, reason: 'funds' },
    });
    const again = await order(c.key, 'declined-once');
    expect(again.statusCode).toBe(409);
    expect(replayed(again)).toBe(true);
    expect(again.body).toBe(first.body);
    // a new key is a new request
    const fresh = await order(c.key, 'declined-once-retry');
    expect(fresh.statusCode).toBe(200);
    expect(await balance(c.key)).toBe(95.5);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('bodies that differ only in key order are the same request', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const first = await order(c.key, 'key-order', { product: 'residential', gb: 2 });
    const again = await order(c.key, 'key-order', { gb: 2, product: 'residential' });
    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(replayed(again)).toBe(true);
    expect(await orderIds(c.key)).toHaveLength(1);
  });

  it('an operator balance adjustment replayed with its key credits once', async () => {
    const c = await h.customer();
    const adjust = () =>
      h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
        admin: true,
        body: { amount_usd: 12.34, reason: 'goodwill' },
        headers: { 'idempotency-key': `adj-${c.id}` },
      });
    const first = await adjust();
    const again = await adjust();
    expect(first.statusCode).toBe(200);
    expect(replayed(again)).toBe(true);
    expect(again.body).toBe(first.body);
    expect(await balance(c.key)).toBe(12.34);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('the same key with a different request', () => {
  it('a different body is 422 idempotency_key_reused and nothing is charged', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    expect((await order(c.key, 'reused')).statusCode).toBe(200);
    const other = await order(c.key, 'reused', { product: 'residential', gb: 2 });
    expect(other.statusCode).toBe(422);
    expect(other.json().error).toMatchObject({ code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    expect(other.headers['request-id']).toBe(other.json().error.request_id);
    expect(await orderIds(c.key)).toHaveLength(1);
    expect(await balance(c.key)).toBe(95.5);
  });

  it('the same body on another route is 422 idempotency_key_reused', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    expect((await order(c.key, 'route-bound')).statusCode).toBe(200);
    const quote = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: ONE_GB,
      headers: { 'idempotency-key': 'route-bound' },
    });
    expect(quote.statusCode).toBe(422);
    expect(quote.json().error.code).toBe('idempotency_key_reused');
  });
});

describe('keys are scoped to the account', () => {
  it('two accounts use the same key independently', async () => {
    const a = await h.customer({ balanceUsd: 100 });
    const b = await h.customer({ balanceUsd: 100 });
    const ra = await order(a.key, 'shared-key');
    const rb = await order(b.key, 'shared-key', { product: 'residential', gb: 2 });
    expect(ra.statusCode).toBe(200);
    expect(rb.statusCode).toBe(200);
    expect(replayed(rb)).toBe(false);
    expect(rb.json().id).not.toBe(ra.json().id);
    expect(await orderIds(a.key)).toEqual([ra.json().id]);
    expect(await orderIds(b.key)).toEqual([rb.json().id]);
    expect(await balance(a.key)).toBe(95.5);
    expect(await balance(b.key)).toBe(91);
    // and each account's replay is its own
    expect((await order(b.key, 'shared-key', { product: 'residential', gb: 2 })).body).toBe(rb.body);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('validation errors are not stored', () => {
  it('a 400 from the schema is not stored: the corrected retry with the same key runs', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const bad = await order(c.key, 'fix-me', { product: 'residential', gb: '1' });
    expect(bad.statusCode).toBe(400);
    expect(await readKey(h.db, c.id, 'fix-me')).toBeNull();
    const good = await order(c.key, 'fix-me');
    expect(good.statusCode).toBe(200);
    expect(replayed(good)).toBe(false);
    expect(await balance(c.key)).toBe(95.5);
  });

  it('a 400 from the use-case is not stored either', async () => {
    const c = await h.customer();
    const adjust = (amount: number) =>
      h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
        admin: true,
        body: { amount_usd: amount, reason: 'fix' },
        headers: { 'idempotency-key': `zero-${c.id}` },
      });
    const zero = await adjust(0);
    expect(zero.statusCode).toBe(400);
    expect(zero.json().error).toMatchObject({ code: 'invalid_request', param: 'amount_usd' });
    const good = await adjust(5);
    expect(good.statusCode).toBe(200);
    expect(replayed(good)).toBe(false);
    expect(await balance(c.key)).toBe(5);
  });
});

describe('a repeat while the first request is still running', () => {
  it('is 409 request_in_progress while another process holds the key', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    await claimedElsewhere(c.id, 'busy', new Date(Date.now() + LEASE_MS));
    const res = await order(c.key, 'busy');
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('request_in_progress');
    expect(await orderIds(c.key)).toEqual([]);
    expect(await balance(c.key)).toBe(100);
  });

  it('20 concurrent requests with one key make one order and one debit', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const results = await Promise.all(Array.from({ length: 20 }, () => order(c.key, 'stampede')));
    const ok = results.filter((r) => r.statusCode === 200);
    const busy = results.filter((r) => r.statusCode === 409);
    expect(ok.length + busy.length).toBe(20);
    expect(ok.filter((r) => !replayed(r))).toHaveLength(1);
    for (const r of busy) expect(r.json().error.code).toBe('request_in_progress');
    const id = ok[0]!.json().id;
    for (const r of ok) expect(r.json().id).toBe(id);
    expect(await orderIds(c.key)).toEqual([id]);
    expect(await balance(c.key)).toBe(95.5);
    const after = await order(c.key, 'stampede');
    expect(replayed(after)).toBe(true);
    expect(after.json().id).toBe(id);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('20 concurrent card-paid requests with one key make one order and one card charge', async () => {
    const c = await withCard();
    const results = await Promise.all(Array.from({ length: 20 }, () => order(c.key, 'card-stampede')));
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok.length + results.filter((r) => r.statusCode === 409).length).toBe(20);
    expect(ok.filter((r) => !replayed(r))).toHaveLength(1);
    const id = ok[0]!.json().id;
    expect(ok[0]!.json()).toMatchObject({ total_usd: 4.5, payment_status: 'paid' });
    expect(await orderIds(c.key)).toEqual([id]);
    expect(await chargesOf(c.id)).toBe(1);
    expect(await balance(c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('a request that died (its lease ran out) is taken over', () => {
  it('if it had created its order, the retry answers with that order and creates no second one', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const idem = 'died-after-order';
    // the dead process claimed the key, placed the order (linked to the key), then died
    await claimedElsewhere(c.id, idem, new Date(Date.now() - 1000));
    const placed = await placeOrder(h.deps, {
      accountId: c.id,
      input: { product: 'residential', gb: 1 },
      idem: { scope: c.id, key: idem },
    });
    expect(placed.ok).toBe(true);
    const orderId = placed.ok ? placed.value.id : '';
    const retry = await order(c.key, idem);
    expect(retry.statusCode).toBe(200);
    expect(replayed(retry)).toBe(true);
    expect(retry.json()).toMatchObject({ id: orderId, object: 'order', total_usd: 4.5 });
    // the answer is now stored like any other
    const again = await order(c.key, idem);
    expect(again.body).toBe(retry.body);
    expect(await orderIds(c.key)).toEqual([orderId]);
    expect(await balance(c.key)).toBe(95.5);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('if it had done nothing, the retry does the work once', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    await claimedElsewhere(c.id, 'died-early', new Date(Date.now() - 1000));
    const retry = await order(c.key, 'died-early');
    expect(retry.statusCode).toBe(200);
    expect(replayed(retry)).toBe(false);
    expect(await orderIds(c.key)).toEqual([retry.json().id]);
    expect(await balance(c.key)).toBe(95.5);
    expect((await readKey(h.db, c.id, 'died-early'))?.state).toBe('done');
  });

  it('a retry with another body is still 422 idempotency_key_reused', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    await claimedElsewhere(c.id, 'died-other-body', new Date(Date.now() - 1000));
    const res = await order(c.key, 'died-other-body', { product: 'residential', gb: 3 });
    expect(res.statusCode).toBe(422);
    expect(await orderIds(c.key)).toEqual([]);
  });
});

describe('a request that died between the card charge and the settlement', () => {
  // placeOrder finishes the dead request's payment (recoverPaymentsForKey) before charging again
  it('the retry after the lease does not charge the card a second time', async () => {
    const c = await withCard();
    const idem = 'died-after-charge';
    await claimedElsewhere(c.id, idem, new Date(Date.now() - 1000));
    await expect(
      placeOrder(h.deps, {
        accountId: c.id,
        input: { product: 'residential', gb: 1 },
        idem: { scope: c.id, key: idem },
        afterCharge: async () => {
          throw new Error('the process died after the charge');
        },
      }),
    ).rejects.toThrow('died');
    const retry = await order(c.key, idem);
    expect(retry.statusCode).toBe(200);
    expect(await chargesOf(c.id)).toBe(1);
    expect(await orderIds(c.key)).toEqual([retry.json().id]);
  });
});

describe('retention: keys are kept at least 24 h of the injected clock', () => {
  it('replays until 24 h have passed; after that the key may be used for a new request', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const first = await order(c.key, 'daily');
    expect(first.statusCode).toBe(200);
    await h.clock.advance(RETENTION_MS / 1000 - 60);
    const within = await order(c.key, 'daily');
    expect(replayed(within)).toBe(true);
    expect(within.body).toBe(first.body);
    await h.clock.advance(61);
    const after = await order(c.key, 'daily');
    expect(after.statusCode).toBe(200);
    expect(replayed(after)).toBe(false);
    expect(after.json().id).not.toBe(first.json().id);
    expect(await orderIds(c.key)).toHaveLength(2);
    expect(await balance(c.key)).toBe(91);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('the purge job forgets keys older than 24 h of the injected clock, and only those', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    expect((await order(c.key, 'purge-old')).statusCode).toBe(200);
    await h.clock.advance(RETENTION_MS / 1000 - 10);
    expect((await order(c.key, 'purge-young')).statusCode).toBe(200);
    await h.clock.advance(20);
    await jobKinds.purge_idempotency_keys!.handler(h.deps, {} as never);
    expect(await readKey(h.db, c.id, 'purge-old')).toBeNull();
    expect((await readKey(h.db, c.id, 'purge-young'))?.state).toBe('done');
  });
});

describe.skipIf(!process.env.DATABASE_URL)('across two server instances sharing one PostgreSQL', () => {
  let db2: Db;
  let app2: FastifyInstance;
  beforeAll(async () => {
    db2 = await openPostgres(h.url!, 10);
    app2 = await buildApp((await makeDeps(db2)).deps);
    await app2.ready();
  });
  afterAll(async () => {
    await app2?.close();
    await db2?.close();
  });

  function orderOn(app: FastifyInstance, key: string, idem: string) {
    return app.inject({
      method: 'POST',
      url: '/v1/orders',
      headers: { authorization: `Bearer ${key}`, 'idempotency-key': idem },
      payload: ONE_GB,
    });
  }

  it('a key used on one instance is replayed by the other', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const first = await orderOn(h.app, c.key, 'cross-1');
    const again = await orderOn(app2, c.key, 'cross-1');
    expect(first.statusCode).toBe(200);
    expect(replayed(again)).toBe(true);
    expect(again.body).toBe(first.body);
    expect(await orderIds(c.key)).toHaveLength(1);
  });

  it('20 concurrent requests with one key split over two instances make one order and one debit', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => orderOn(i % 2 === 0 ? h.app : app2, c.key, 'cross-stampede')),
    );
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok.length + results.filter((r) => r.statusCode === 409).length).toBe(20);
    expect(ok.filter((r) => !replayed(r))).toHaveLength(1);
    expect(await orderIds(c.key)).toEqual([ok[0]!.json().id]);
    expect(await balance(c.key)).toBe(95.5);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('20 concurrent card-paid requests over two instances make one card charge', async () => {
    const c = await withCard();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => orderOn(i % 2 === 0 ? h.app : app2, c.key, 'cross-card')),
    );
    expect(results.filter((r) => r.statusCode === 200 && !replayed(r))).toHaveLength(1);
    expect(await orderIds(c.key)).toHaveLength(1);
    expect(await chargesOf(c.id)).toBe(1);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
