/**
 * Auto top-up (SPEC §2): one ordinary order (type new, source auto_top_up) per crossing of the
 * rule's line, placed by a job right after the usage that crossed it; stopped with a mail at the
 * monthly cap or on a failed payment; every route sees only the caller's own rules.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAutoTopUp } from '../src/app/auto-top-ups/run-auto-top-up.ts';
import { addCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const GB = 1_000_000_000;
let n = 0;

const put = (key: string, product: string, body: unknown) =>
  h.app.inject({
    method: 'PUT',
    url: `/v1/auto-top-ups/${product}`,
    headers: { authorization: `Bearer ${key}` },
    payload: body as object,
  });
const list = async (key: string) => (await h.call('GET', '/v1/auto-top-ups', { key })).json().data;

/** Usage of `gb` GB on the account's main subuser, then a one-second advance that runs the jobs. */
async function use(key: string, gb: number) {
  const subs = await h.call('GET', '/v1/subusers', { key });
  const main = subs.json().data.find((s: { is_main: boolean }) => s.is_main);
  const line = {
    id: `atu-${++n}`,
    subuser: main.username,
    product: 'residential',
    bytes: gb * GB,
    at: '2026-05-28T09:59:00Z',
  };
  const res = await h.call('POST', '/admin/v1/usage', { admin: true, body: { lines: [line] } });
  expect(res.statusCode).toBe(200);
  expect(res.json().accepted).toBe(1);
}
const runJobs = async () =>
  expect(
    (await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 1 } })).statusCode,
  ).toBe(200);

const remainingGb = async (key: string) =>
  (await h.call('GET', '/v1/account', { key })).json().pools.residential.remaining_gb as number;

async function autoOrders(key: string) {
  const res = await h.call('GET', '/v1/orders?limit=100', { key });
  expect(res.statusCode).toBe(200);
  return (res.json().data as { source?: string; details: { source?: string } }[]).filter(
    (o) => o.details.source === 'auto_top_up',
  );
}
const mails = (accountId: string) =>
  h.db.query<{ kind: string; subject: string; body_text: string }>(
    'SELECT kind, subject, body_text FROM mail_outbox WHERE account_id = $1 AND kind = $2 ORDER BY created_at, id',
    [accountId, 'auto_top_up_stopped'],
  );

/** A customer with a 50 GB residential pool (bought from the balance) and `extraUsd` left over. */
async function withPool(extraUsd: number, card?: string) {
  const c = await h.customer({ balanceUsd: 225 + extraUsd });
  if (card) await addCard(h, c.key, card);
  const bought = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
  expect(bought.statusCode).toBe(200);
  expect(await remainingGb(c.key)).toBe(50);
  return c;
}

describe('auto top-up: one order per crossing (SPEC §2)', () => {
  it('below 10 GB buy 50 GB: a crossing places exactly one 225.00 order; staying below places none; crossing again places a second', async () => {
    const c = await withPool(1000);
    const set = await put(c.key, 'residential', {
      below_gb: 10,
      buy_gb: 50,
      monthly_cap_usd: 1000,
      enabled: true,
    });
    expect(set.statusCode).toBe(200);
    expect(set.body).toContain('"monthly_cap_usd":1000.00');
    expect(set.json()).toMatchObject({
      object: 'auto_top_up',
      product: 'residential',
      below_gb: 10,
      buy_gb: 50,
      enabled: true,
      disabled_reason: null,
    });

    await use(c.key, 45); // 50 → 5: crosses the line
    await use(c.key, 1); // 5 → 4: still below, no second crossing
    expect(await autoOrders(c.key)).toHaveLength(0); // the job has not run yet
    await runJobs();
    await runJobs();
    const first = await autoOrders(c.key);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({
      type: 'new',
      product: 'residential',
      source: 'auto_top_up',
      status: 'completed',
      payment_status: 'paid',
      details: { gb: 50, source: 'auto_top_up' },
    });
    const one = await h.call('GET', `/v1/orders/${(first[0] as unknown as { id: string }).id}`, {
      key: c.key,
    });
    expect(one.body).toContain('"total_usd":225.00');
    expect(await remainingGb(c.key)).toBe(54);

    // the job of that crossing run again (a retry after a crash, a lease run out) places nothing
    const jobs = await h.db.query<{ payload: { crossing_id: string } }>(
      `SELECT payload FROM jobs WHERE kind = 'auto_top_up' AND payload ->> 'account_id' = $1`,
      [c.id],
    );
    expect(jobs).toHaveLength(1);
    const crossingId = jobs[0]!.payload.crossing_id;
    expect(await runAutoTopUp(h.deps, { accountId: c.id, product: 'residential', crossingId })).toBe(
      'already_placed',
    );
    expect(await autoOrders(c.key)).toHaveLength(1);

    await use(c.key, 2); // 54 → 52: above the line, nothing
    await runJobs();
    expect(await autoOrders(c.key)).toHaveLength(1);

    await use(c.key, 43); // 52 → 9: the top-up took it above, this crosses again
    await runJobs();
    expect(await autoOrders(c.key)).toHaveLength(2);
    expect(await remainingGb(c.key)).toBe(59);
    const [rule] = await list(c.key);
    expect(rule).toMatchObject({ enabled: true, month_spent_usd: 450 });
    expect(await mails(c.id)).toHaveLength(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a cap of 300.00 allows one 225.00 top-up, then turns the rule off with monthly_cap_reached and one mail', async () => {
    const c = await withPool(1000);
    expect(
      (
        await put(c.key, 'residential', {
          below_gb: 10,
          buy_gb: 50,
          monthly_cap_usd: '300.00',
          enabled: true,
        })
      ).statusCode,
    ).toBe(200);
    await use(c.key, 41); // 50 → 9
    await runJobs();
    expect(await autoOrders(c.key)).toHaveLength(1);
    expect(await remainingGb(c.key)).toBe(59);

    await use(c.key, 50); // 59 → 9: a second crossing, but 225 + 225 > 300
    await runJobs();
    expect(await autoOrders(c.key)).toHaveLength(1);
    const [rule] = await list(c.key);
    expect(rule).toMatchObject({
      enabled: false,
      disabled_reason: 'monthly_cap_reached',
      month_spent_usd: 225,
    });
    const sent = await mails(c.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body_text).toContain('monthly cap of 300.00 USD');

    // a disabled rule places nothing and mails nothing more
    await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } }); // 9 → 59
    await use(c.key, 50); // 59 → 9
    await runJobs();
    expect(await autoOrders(c.key)).toHaveLength(1);
    expect(await mails(c.id)).toHaveLength(1);

    // turning it on again clears the reason
    const again = await put(c.key, 'residential', {
      below_gb: 10,
      buy_gb: 50,
      monthly_cap_usd: 1000,
      enabled: true,
    });
    expect(again.json()).toMatchObject({ enabled: true, disabled_reason: null });
  });

  it('a declined card turns the rule off with card_declined and one mail, and places nothing', async () => {
    const c = await withPool(0, '4000000000000002');
    expect(
      (await put(c.key, 'residential', { below_gb: 10, buy_gb: 50, monthly_cap_usd: 1000 })).statusCode,
    ).toBe(200);
    await use(c.key, 45); // 50 → 5
    await runJobs();
    expect(await autoOrders(c.key)).toHaveLength(0);
    const [rule] = await list(c.key);
    expect(rule).toMatchObject({ enabled: false, disabled_reason: 'card_declined' });
    const sent = await mails(c.id);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body_text).toContain('card_declined');
    await runJobs();
    expect(await mails(c.id)).toHaveLength(1);
    expect(await remainingGb(c.key)).toBe(5);
  });
});

describe('auto top-up routes: validation and tenant isolation', () => {
  it('400 for product isp, gb 0, and bad caps', async () => {
    const c = await h.customer();
    const good = { below_gb: 10, buy_gb: 50, monthly_cap_usd: 300 };
    for (const [product, body] of [
      ['isp', good],
      ['server', good],
      ['residential', { ...good, buy_gb: 0 }],
      ['residential', { ...good, buy_gb: 100_001 }],
      ['residential', { ...good, buy_gb: 1.5 }],
      ['residential', { ...good, below_gb: -1 }],
      ['residential', { ...good, monthly_cap_usd: 0 }],
      ['residential', { ...good, monthly_cap_usd: 1.234 }],
      ['residential', { below_gb: 10, buy_gb: 50 }],
    ] as const) {
      const res = await put(c.key, product, body);
      expect(res.statusCode, `${product} ${JSON.stringify(body)}`).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    expect(await list(c.key)).toEqual([]);
  });

  it("another account cannot read or change this account's rules", async () => {
    const a = await withPool(1000);
    const b = await h.customer({ balanceUsd: 1000 });
    expect(
      (await put(a.key, 'residential', { below_gb: 10, buy_gb: 50, monthly_cap_usd: 500 })).statusCode,
    ).toBe(200);
    expect(await list(b.key)).toEqual([]);
    expect((await h.call('GET', '/v1/auto-top-ups')).statusCode).toBe(401);

    const bPut = await put(b.key, 'residential', {
      below_gb: 1,
      buy_gb: 5,
      monthly_cap_usd: 20,
      enabled: false,
    });
    expect(bPut.statusCode).toBe(200);
    expect(await list(b.key)).toMatchObject([
      { product: 'residential', below_gb: 1, buy_gb: 5, enabled: false },
    ]);
    expect(await list(a.key)).toMatchObject([
      { product: 'residential', below_gb: 10, buy_gb: 50, monthly_cap_usd: 500, enabled: true },
    ]);

    // A's crossing tops up A only
    await use(a.key, 45);
    await runJobs();
    expect(await autoOrders(a.key)).toHaveLength(1);
    expect(await autoOrders(b.key)).toHaveLength(0);
    expect((await list(b.key))[0]).toMatchObject({ month_spent_usd: 0 });
  });
});
