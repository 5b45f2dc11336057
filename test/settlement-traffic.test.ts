/**
 * Daily metered traffic of postpaid servers (SPEC §7): a gateway reports traffic through
 * POST /admin/v1/servers/{id}/traffic (idempotent per report id); the daily settlement charges each
 * account's traffic of every ended UTC day once, at the price book's server.traffic.gb (0.10/GB).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleServerTraffic, trafficAmount } from '../src/app/settlement/settle-server-traffic.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { balanceOf } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { advanceClock, orderServer } from './support/settlement.ts';

const GB = 1_000_000_000;

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  expect(await h.ledgerMismatches()).toEqual([]);
  await h?.close();
});

const advance = (seconds: number) => advanceClock(h, seconds);

async function server(payment_mode = 'postpaid') {
  const c = await h.customer({ balanceUsd: 100, kyc: true });
  const prepaid = payment_mode === 'prepaid' ? { months: 1 } : {};
  return { ...c, serverId: await orderServer(h, c.key, { payment_mode, ...prepaid }) };
}

function report(serverId: string, reports: unknown[]) {
  return h.call('POST', `/admin/v1/servers/${serverId}/traffic`, { admin: true, body: { reports } });
}

async function trafficCharges(accountId: string) {
  return h.db.query<{ amount: number; memo: string }>(
    `SELECT amount, memo FROM ledger_entries WHERE account_id = $1 AND cause = 'usage_charge' AND memo LIKE 'server traffic%'
     ORDER BY seq`,
    [accountId],
  );
}

describe('server traffic, metered and settled daily', () => {
  it('the amount: bytes × price per GB, half-up to the cent', () => {
    expect(trafficAmount(1000, 5 * GB)).toBe(50);
    expect(trafficAmount(1000, 0.05 * GB)).toBe(1); // 0.005 → 0.01
    expect(trafficAmount(1000, 0.049 * GB)).toBe(0);
    expect(trafficAmount(1000, 1_000_000 * GB)).toBe(10_000_000);
  });

  it("a day's reports are charged once after the day ends; a repeated report id counts once", async () => {
    await schedulePeriodic(h.deps, { settle_server_traffic: jobKinds.settle_server_traffic! });
    const s = await server();
    const at = (await h.clock.now()).toISOString();
    const first = await report(s.serverId, [
      { id: 'r1', bytes: 3 * GB, at },
      { id: 'r2', bytes: 2 * GB, at },
    ]);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({
      object: 'server_traffic_batch',
      server_id: s.serverId,
      accepted: 2,
      duplicates: 0,
      duplicate_ids: [],
    });
    const again = await report(s.serverId, [{ id: 'r2', bytes: 2 * GB, at }]);
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: 1, duplicate_ids: ['r2'] });

    // the same day: nothing charged yet
    expect((await settleServerTraffic(h.deps)).ok).toBe(true);
    expect(await trafficCharges(s.id)).toEqual([]);
    // past midnight UTC the job charges 5 GB × 0.10 = 0.50, once
    await advance(24 * 3600);
    const day = at.slice(0, 10);
    expect(await trafficCharges(s.id)).toEqual([
      { amount: -50, memo: `server traffic ${day}: ${5 * GB} bytes` },
    ]);
    await settleServerTraffic(h.deps);
    await advance(24 * 3600);
    expect(await trafficCharges(s.id)).toHaveLength(1);
    const [row] = await h.db.query(
      'SELECT bytes, unit_price4, amount_cents FROM server_traffic_charges WHERE account_id = $1',
      [s.id],
    );
    expect(row).toEqual({ bytes: 5 * GB, unit_price4: 1000, amount_cents: 50 });
  });

  it('a late report for a settled day is charged by the next run, as its own charge', async () => {
    const s = await server();
    const at = (await h.clock.now()).toISOString();
    await report(s.serverId, [{ id: 'a', bytes: GB, at }]);
    await advance(24 * 3600);
    await report(s.serverId, [{ id: 'late', bytes: GB, at }]);
    await settleServerTraffic(h.deps);
    expect((await trafficCharges(s.id)).map((r) => r.amount)).toEqual([-10, -10]);
  });

  it('errors: an unknown server is 404, a prepaid one 409, a future time or bad bytes 400', async () => {
    const s = await server();
    const now = await h.clock.now();
    expect((await report('ins_nope', [{ id: 'x', bytes: 1, at: now.toISOString() }])).json().error.code).toBe(
      'not_found',
    );
    const pre = await server('prepaid');
    const p = await report(pre.serverId, [{ id: 'x', bytes: 1, at: now.toISOString() }]);
    expect(p.statusCode).toBe(409);
    expect(p.json().error.code).toBe('invalid_state');
    const future = await report(s.serverId, [
      { id: 'x', bytes: 1, at: new Date(now.getTime() + 60_000).toISOString() },
    ]);
    expect(future.statusCode).toBe(400);
    expect(future.json().error.param).toBe('reports[0].at');
    for (const bad of [
      { id: 'x', bytes: -1, at: now.toISOString() },
      { id: '', bytes: 1, at: now.toISOString() },
    ]) {
      expect((await report(s.serverId, [bad])).statusCode).toBe(400);
    }
    expect((await report(s.serverId, [])).statusCode).toBe(400);
  });

  it('a customer key cannot report traffic, not even for its own server (403)', async () => {
    const s = await server();
    const res = await h.call('POST', `/admin/v1/servers/${s.serverId}/traffic`, {
      key: s.key,
      body: { reports: [{ id: 'x', bytes: GB, at: (await h.clock.now()).toISOString() }] },
    });
    expect(res.statusCode).toBe(403);
    expect(await balanceOf(h, s.key)).toBe(100);
  });
});
