/**
 * Hourly settlement of postpaid servers (SPEC §7, issue 11 item 4) on both engines, driven by the
 * test clock: 10 hours of an s1.small bill 10 × 0.03 whatever the advance pattern; a coupon covers
 * its hours; re-runs, a crash mid-run and two workers bill each hour once; a stopped server pays
 * its started hour; a spec that moves between two runs (a change, a temporary upgrade and its
 * end) leaves the hours before it billed at the spec they ran (before the fix, two s1.small hours
 * went at 0.12 each after a change to s1.large at 12:10).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { settleServerHours } from '../src/app/settlement/settle-server-hours.ts';
import { openPostgres } from '../src/db/client.ts';
import { stopServer } from '../src/db/servers.ts';
import { insertRun, serverHoursToBill, writeServerCharges } from '../src/db/settlement.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { balanceOf } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { advanceClock, orderServer } from './support/settlement.ts';

const HOUR = 3600;

const advance = advanceClock;

/** A KYC'd customer with `balanceUsd` and one running postpaid server of `spec`. */
async function postpaidServer(
  h: Harness,
  opts: { balanceUsd?: number; spec?: string; key?: string } = {},
): Promise<{ key: string; serverId: string }> {
  const c = opts.key
    ? { key: opts.key }
    : await h.customer({ balanceUsd: opts.balanceUsd ?? 100, kyc: true });
  return { key: c.key, serverId: await orderServer(h, c.key, { spec: opts.spec ?? 's1.small' }) };
}

interface Row {
  amount: number;
  balance_after: number;
  cause: string;
  memo: string;
}

/** The account's usage charges, oldest first, with the server id blanked out of the memo. */
async function usageCharges(h: Harness, accountId: string): Promise<Row[]> {
  const rows = await h.db.query<Row>(
    `SELECT amount, balance_after, cause, memo FROM ledger_entries
     WHERE account_id = $1 AND asset = 'cash' AND cause = 'usage_charge' ORDER BY seq`,
    [accountId],
  );
  return rows.map((r) => ({ ...r, memo: r.memo.replace(/ins_[0-9A-Z]+/, 'ins_…') }));
}

async function chargeRows(h: Harness, serverId: string) {
  return h.db.query<{ hour_from: Date; covered: boolean; amount_cents: number }>(
    'SELECT hour_from, covered, amount_cents FROM server_charges WHERE server_id = $1 ORDER BY hour_from',
    [serverId],
  );
}

async function accountOf(h: Harness, serverId: string): Promise<string> {
  const [r] = await h.db.query<{ account_id: string }>('SELECT account_id FROM servers WHERE id = $1', [
    serverId,
  ]);
  return r!.account_id;
}

/** A server's billed hours, oldest first: the spec and the cents of each. */
async function billed(h: Harness, serverId: string): Promise<string[]> {
  const rows = await h.db.query<{ spec: string; amount_cents: number }>(
    'SELECT spec, amount_cents FROM server_charges WHERE server_id = $1 ORDER BY hour_from',
    [serverId],
  );
  return rows.map((r) => `${r.spec} ${r.amount_cents}`);
}

async function postOk(h: Harness, key: string, route: string, body: object) {
  const res = await h.call('POST', route, { key, body });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

describe('10 hours of a postpaid s1.small: one advance or ten give the same ledger', () => {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) {
      expect(await h.ledgerMismatches()).toEqual([]);
      await h.close();
    }
  });

  async function live(steps: number): Promise<{ rows: Row[]; balance: number }> {
    const h = await harness();
    open.push(h);
    await schedulePeriodic(h.deps, { settle_server_hours: jobKinds.settle_server_hours! });
    const s = await postpaidServer(h, { balanceUsd: 100 });
    for (let i = 0; i < steps; i++) await advance(h, (10 * HOUR) / steps);
    const accountId = await accountOf(h, s.serverId);
    expect(await chargeRows(h, s.serverId)).toHaveLength(10);
    return { rows: await usageCharges(h, accountId), balance: await balanceOf(h, s.key) };
  }

  it('one 10-hour advance: 10 entries of −0.03, balance 100.00 → 99.70', async () => {
    const one = await live(1);
    expect(one.balance).toBe(99.7);
    expect(one.rows).toHaveLength(10);
    expect(one.rows.every((r) => r.amount === -3 && r.cause === 'usage_charge')).toBe(true);
    expect(one.rows.map((r) => r.balance_after)).toEqual([
      9997, 9994, 9991, 9988, 9985, 9982, 9979, 9976, 9973, 9970,
    ]);
    expect(one.rows[0]!.memo).toBe('server ins_… s1.small, hour 2026-05-28T10:00Z');
    expect(one.rows[9]!.memo).toBe('server ins_… s1.small, hour 2026-05-28T19:00Z');

    const ten = await live(10);
    expect(ten.balance).toBe(99.7);
    expect(ten.rows).toEqual(one.rows);
  });
});

describe('settlement on one system', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    expect(await h.ledgerMismatches()).toEqual([]);
    await h?.close();
  });

  it('an hour is billed only once it is complete, and a second run at the same time bills nothing', async () => {
    const s = await postpaidServer(h);
    await h.clock.advance(HOUR / 2);
    const early = await settleServerHours(h.deps);
    expect(early.ok && (await chargeRows(h, s.serverId)).length).toBe(0);
    await h.clock.advance(HOUR / 2);
    const first = await settleServerHours(h.deps);
    const second = await settleServerHours(h.deps);
    expect(first.ok && first.value.hours).toBeGreaterThanOrEqual(1);
    expect(second.ok && second.value).toMatchObject({ hours: 0, chargedCents: 0, serversBilled: 0 });
    expect(await chargeRows(h, s.serverId)).toHaveLength(1);
    expect(await balanceOf(h, s.key)).toBe(99.97);
  });

  it('a valid s1.small coupon covers one s1.small: its hours bill 0, a second server pays', async () => {
    const c = await h.customer({ balanceUsd: 400, kyc: true });
    const ri = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'reserved_instance', spec: 's1.small', count: 1, years: 1 },
    });
    expect(ri.statusCode, ri.body).toBe(200);
    const before = await balanceOf(h, c.key);
    const a = await postpaidServer(h, { key: c.key });
    const b = await postpaidServer(h, { key: c.key });
    const m = await postpaidServer(h, { key: c.key, spec: 's1.medium' });
    await h.clock.advance(3 * HOUR);
    const run = await settleServerHours(h.deps);
    expect(run.ok).toBe(true);
    // in id order: the first server is covered, the second pays 3 × 0.03, the medium 3 × 0.06
    const [covered, paying] = a.serverId < b.serverId ? [a, b] : [b, a];
    expect((await chargeRows(h, covered.serverId)).map((r) => [r.covered, r.amount_cents])).toEqual([
      [true, 0],
      [true, 0],
      [true, 0],
    ]);
    expect((await chargeRows(h, paying.serverId)).map((r) => [r.covered, r.amount_cents])).toEqual([
      [false, 3],
      [false, 3],
      [false, 3],
    ]);
    expect((await chargeRows(h, m.serverId)).every((r) => !r.covered && r.amount_cents === 6)).toBe(true);
    expect(await balanceOf(h, c.key)).toBe(Math.round((before - 0.09 - 0.18) * 100) / 100);
    expect(await usageCharges(h, await accountOf(h, a.serverId))).toHaveLength(6);
  });

  it('a server stopped mid-hour pays that started hour, and nothing after', async () => {
    const s = await postpaidServer(h);
    await h.clock.advance(2 * HOUR + HOUR / 2);
    await settleServerHours(h.deps);
    expect(await chargeRows(h, s.serverId)).toHaveLength(2);
    await stopServer(h.db, s.serverId, await h.clock.now());
    await h.clock.advance(3 * HOUR);
    await settleServerHours(h.deps);
    expect(await chargeRows(h, s.serverId)).toHaveLength(3);
    expect(await balanceOf(h, s.key)).toBe(99.91);
  });

  it('a crash after the first batch: the re-run bills the rest, every hour once', async () => {
    const servers = [];
    for (let i = 0; i < 3; i++) servers.push(await postpaidServer(h));
    await h.clock.advance(2 * HOUR);
    let batches = 0;
    await expect(
      settleServerHours(h.deps, {
        batchSize: 1,
        afterBatch: () => {
          batches += 1;
          if (batches === 1) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const billed = await Promise.all(servers.map(async (s) => (await chargeRows(h, s.serverId)).length));
    expect(billed.filter((n) => n > 0).length).toBeLessThan(3);
    const rerun = await settleServerHours(h.deps, { batchSize: 1 });
    expect(rerun.ok).toBe(true);
    for (const s of servers) {
      expect(await chargeRows(h, s.serverId)).toHaveLength(2);
      expect(await balanceOf(h, s.key)).toBe(99.94);
    }
    expect(await settleServerHours(h.deps)).toMatchObject({ ok: true, value: { hours: 0 } });
  });

  it("the charges show in the owner's transactions only (tenant isolation)", async () => {
    const a = await postpaidServer(h);
    const b = await h.customer({ balanceUsd: 100, kyc: true });
    await h.clock.advance(HOUR);
    await settleServerHours(h.deps);
    const mine = await h.call('GET', '/v1/billing/transactions', { key: a.key });
    expect(mine.statusCode).toBe(200);
    const charge = mine.json().data.find((t: { cause: string }) => t.cause === 'usage_charge');
    expect(charge).toMatchObject({ amount_usd: -0.03, memo: expect.stringContaining(a.serverId) });
    const theirs = await h.call('GET', '/v1/billing/transactions', { key: b.key });
    expect(theirs.json().data.some((t: { cause: string }) => t.cause === 'usage_charge')).toBe(false);
    const peek = await h.call('GET', `/v1/billing/transactions?starting_after=${charge.id}`, { key: b.key });
    expect(peek.json().data).toEqual([]);
  });

  it('compare-and-set: hours read before another writer billed them are not billed again', async () => {
    const s = await postpaidServer(h);
    const accountId = await accountOf(h, s.serverId);
    await h.clock.advance(2 * HOUR);
    const at = await h.clock.now();
    const nowHour = new Date(Math.floor(at.getTime() / 3_600_000) * 3_600_000);
    // two workers read the same hours (as if neither saw the other's lock), then both write
    const read = await serverHoursToBill(h.db, { accountIds: [accountId], nowHour });
    expect(read).toHaveLength(2);
    const priced = () =>
      read.map((r) => ({ ...r, unitPrice4: 300, amountCents: 3, ledgerId: h.deps.ids.next('txn') }));
    const runId = await insertRun(h.db, at, at);
    const first = await writeServerCharges(h.db, priced(), runId, at);
    const second = await writeServerCharges(h.db, priced(), runId, at);
    expect(first).toMatchObject({ serversBilled: 1, hours: 2, chargedCents: 6 });
    expect(second).toEqual({ serversBilled: 0, hours: 0, coveredHours: 0, chargedCents: 0 });
    expect(await usageCharges(h, accountId)).toHaveLength(2);
    expect(await balanceOf(h, s.key)).toBe(99.94);
  });

  it('the periodic job and the direct use-case together still bill each hour once', async () => {
    await schedulePeriodic(h.deps, { settle_server_hours: jobKinds.settle_server_hours! });
    const s = await postpaidServer(h);
    await advance(h, 4 * HOUR);
    await settleServerHours(h.deps);
    await advance(h, HOUR);
    const rows = await chargeRows(h, s.serverId);
    expect(rows).toHaveLength(5);
    expect(new Set(rows.map((r) => r.hour_from.getTime())).size).toBe(5);
  });

  it('change s1.small → s1.large 2 h 10 min in: the two hours before at 0.03, the hour of the change on at 0.12', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = await orderServer(h, c.key, { spec: 's1.small' });
    await h.clock.advance(2 * HOUR + 600);
    await postOk(h, c.key, `/v1/servers/${id}/change`, { spec: 's1.large' });
    // billed in the change itself, before any settlement run
    expect(await billed(h, id)).toEqual(['s1.small 3', 's1.small 3']);
    await settleServerHours(h.deps);
    expect(await billed(h, id)).toEqual(['s1.small 3', 's1.small 3']);
    await h.clock.advance(HOUR);
    await settleServerHours(h.deps);
    expect(await billed(h, id)).toEqual(['s1.small 3', 's1.small 3', 's1.large 12']);
    const [acc] = await h.db.query<{ balance_cents: number }>(
      'SELECT a.balance_cents FROM accounts a JOIN servers s ON s.account_id = a.id WHERE s.id = $1',
      [id],
    );
    expect(acc!.balance_cents).toBe(10_000 - 3 - 3 - 12);
  });

  it('a temporary upgrade to s1.xlarge for 2 h: before at 0.03, the window at 0.24, after it at 0.03 again', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = await orderServer(h, c.key, { spec: 's1.small' });
    await h.clock.advance(2 * HOUR + 600);
    await postOk(h, c.key, `/v1/servers/${id}/temp-upgrade`, { spec: 's1.xlarge', hours: 2 });
    expect(await billed(h, id)).toEqual(['s1.small 3', 's1.small 3']);
    // the revert job at the window's end bills the window's hours at the upgraded spec first
    await advanceClock(h, 2 * HOUR);
    expect(await billed(h, id)).toEqual(['s1.small 3', 's1.small 3', 's1.xlarge 24', 's1.xlarge 24']);
    await h.clock.advance(HOUR);
    await settleServerHours(h.deps);
    expect(await billed(h, id)).toEqual([
      's1.small 3',
      's1.small 3',
      's1.xlarge 24',
      's1.xlarge 24',
      's1.small 3',
    ]);
  });

  it('a prepaid server is not touched: its change bills no hours', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const id = await orderServer(h, c.key, { spec: 's1.small', payment_mode: 'prepaid', months: 1 });
    await h.clock.advance(2 * HOUR);
    await postOk(h, c.key, `/v1/servers/${id}/change`, { spec: 's1.medium' });
    expect(await billed(h, id)).toEqual([]);
  });
});

describe("the operators' settlement routes", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('POST /admin/v1/settlement/runs settles now and answers the summary; GET lists the runs', async () => {
    const s = await postpaidServer(h, { spec: 's1.medium' });
    await h.clock.advance(2 * HOUR);
    const run = await h.call('POST', '/admin/v1/settlement/runs', { admin: true });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json()).toMatchObject({
      object: 'settlement_run',
      kind: 'server_hours',
      servers_billed: 1,
      hours: 2,
      covered_hours: 0,
      charged_usd: 0.12,
      suspended_accounts: 0,
      resumed_accounts: 0,
    });
    expect(run.body).toContain('"charged_usd":0.12');
    expect(run.json().finished_at).not.toBeNull();
    expect(await balanceOf(h, s.key)).toBe(99.88);
    const again = await h.call('POST', '/admin/v1/settlement/runs', { admin: true });
    expect(again.json()).toMatchObject({ hours: 0, charged_usd: 0 });

    const list = await h.call('GET', '/admin/v1/settlement/runs?limit=1', { admin: true });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({ object: 'list', has_more: true });
    expect(list.json().data.map((r: { id: number }) => r.id)).toEqual([again.json().id]);
    const next = await h.call('GET', `/admin/v1/settlement/runs?starting_after=${again.json().id}`, {
      admin: true,
    });
    expect(next.json().data.map((r: { id: number }) => r.id)).toEqual([run.json().id]);
    const bad = await h.call('GET', '/admin/v1/settlement/runs?limit=0', { admin: true });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_request');
  });

  it('a customer key opens neither route (403), and starts no run', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const runs = async () =>
      (await h.db.query<{ n: number }>('SELECT count(*)::int4 AS n FROM settlement_runs'))[0]!.n;
    const before = await runs();
    for (const method of ['GET', 'POST'] as const) {
      const res = await h.call(method, '/admin/v1/settlement/runs', { key: c.key });
      expect(res.statusCode).toBe(403);
    }
    expect(await runs()).toBe(before);
  });
});

describe('two workers on one PostgreSQL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('running settlement concurrently bills each hour once', async (ctx) => {
    if (!h.url) ctx.skip();
    const servers = [];
    for (let i = 0; i < 12; i++) servers.push(await postpaidServer(h));
    await h.clock.advance(3 * HOUR);
    const db2 = await openPostgres(h.url!, 4);
    try {
      const other = { ...h.deps, db: db2 };
      const runs = await Promise.all([
        settleServerHours(h.deps, { batchSize: 2 }),
        settleServerHours(other, { batchSize: 2 }),
        settleServerHours(h.deps, { batchSize: 5 }),
      ]);
      const hours = runs.reduce((n, r) => n + (r.ok ? r.value.hours : 0), 0);
      expect(hours).toBe(36);
      for (const s of servers) {
        expect(await chargeRows(h, s.serverId)).toHaveLength(3);
        expect(await balanceOf(h, s.key)).toBe(99.91);
      }
      const [n] = await h.db.query<{ n: number }>(
        `SELECT count(*)::int4 AS n FROM ledger_entries WHERE cause = 'usage_charge'`,
      );
      expect(n!.n).toBe(36);
      expect(await h.ledgerMismatches()).toEqual([]);
    } finally {
      await db2.close();
    }
  });
});
