/**
 * Arrears and suspension (SPEC §7): past ORDERDESK_ARREARS_SUSPEND_CENTS settlement suspends the
 * account's postpaid servers (the hour they are suspended in is paid, none after); paying the
 * arrears — a top-up, an operator's credit, or a prepaid order whose card payment covers them —
 * resumes them, and billing goes on from the resume hour. Driven by the test clock, both engines.
 * Here the threshold is 0 (so a postpaid server can be ordered on an empty balance) and the
 * suspension limit 1.00.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { settleServerHours } from '../src/app/settlement/settle-server-hours.ts';
import { loadConfig } from '../src/config.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { balanceOf, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { advanceClock, orderServer } from './support/settlement.ts';

const HOUR = 3600;
const HOUR_MS = HOUR * 1000;

let h: Harness;
beforeAll(async () => {
  h = await harness({ ORDERDESK_BALANCE_THRESHOLD_CENTS: '0', ORDERDESK_ARREARS_SUSPEND_CENTS: '100' });
  await schedulePeriodic(h.deps, { settle_server_hours: jobKinds.settle_server_hours! });
});
afterAll(async () => {
  expect(await h.ledgerMismatches()).toEqual([]);
  await h?.close();
});

const advance = (seconds: number) => advanceClock(h, seconds);

/** A customer with a card and no balance, and one running postpaid s1.xlarge (0.24 an hour). */
async function xlarge(): Promise<{ id: string; key: string; serverId: string }> {
  const c = await customerWithCard(h, { kyc: true });
  return { ...c, serverId: await orderServer(h, c.key, { spec: 's1.xlarge' }) };
}

async function server(key: string, id: string) {
  const res = await h.call('GET', `/v1/servers/${id}`, { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function hoursBilled(serverId: string): Promise<number> {
  const [r] = await h.db.query<{ n: number }>(
    'SELECT count(*)::int4 AS n FROM server_charges WHERE server_id = $1',
    [serverId],
  );
  return r!.n;
}

async function account(key: string) {
  return (await h.call('GET', '/v1/account', { key })).json();
}

/** Moves the clock to the next hh:30 (so suspensions fall mid-hour). */
async function toHalfPast(): Promise<void> {
  const t = (await h.clock.now()).getTime();
  const half = Math.ceil((t - 1800_000) / 3600_000) * 3600_000 + 1800_000;
  if (half > t) await advance((half - t) / 1000);
}

describe('ORDERDESK_ARREARS_SUSPEND_CENTS', () => {
  it('defaults to 5000 (50.00); a bad value stops the start with its name', () => {
    expect(loadConfig({}).arrearsSuspendCents).toBe(5000);
    expect(loadConfig({ ORDERDESK_ARREARS_SUSPEND_CENTS: '0' }).arrearsSuspendCents).toBe(0);
    for (const bad of ['-1', '12.5', 'lots', '1000000000001']) {
      expect(() => loadConfig({ ORDERDESK_ARREARS_SUSPEND_CENTS: bad })).toThrow(
        /ORDERDESK_ARREARS_SUSPEND_CENTS/,
      );
    }
  });
});

describe('arrears past the limit suspend; a top-up resumes', () => {
  it('past the limit at the end of an hour: suspended there, none billed while suspended, billing resumes after the top-up', async () => {
    await toHalfPast();
    const c = await xlarge();
    // hh:30 → four hours later: the started hour and three whole ones, 4 × 0.24 = 0.96 ≤ 1.00
    await advance(4 * HOUR);
    expect(await balanceOf(h, c.key)).toBe(-0.96);
    expect((await server(c.key, c.serverId)).status).toBe('running');
    // the next hour's end (the advance stops there, as the 5-minute job would run): 1.20 > 1.00 →
    // suspended at that hh:00, before another hour started
    const hourEnd = new Date((await h.clock.now()).getTime() + HOUR_MS / 2);
    await advance(HOUR);
    expect(await balanceOf(h, c.key)).toBe(-1.2);
    expect((await server(c.key, c.serverId)).status).toBe('suspended');
    expect((await account(c.key)).arrears_usd).toBe(1.2);
    const [row] = await h.db.query<{ suspended_reason: string; suspended_at: Date }>(
      'SELECT suspended_reason, suspended_at FROM servers WHERE id = $1',
      [c.serverId],
    );
    expect(row).toEqual({ suspended_reason: 'arrears', suspended_at: hourEnd });
    const billed = await hoursBilled(c.serverId);
    expect(billed).toBe(5);

    await advance(3 * HOUR);
    expect(await hoursBilled(c.serverId)).toBe(billed);
    expect(await balanceOf(h, c.key)).toBe(-1.2);

    const top = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 5 } });
    expect(top.statusCode, top.body).toBe(200);
    expect(await balanceOf(h, c.key)).toBe(3.8);
    expect((await server(c.key, c.serverId)).status).toBe('running');
    // resumed at hh:30: that hour is a started hour, paid when it ends; then one more
    await advance(HOUR + HOUR / 2);
    expect(await hoursBilled(c.serverId)).toBe(billed + 2);
    expect(await balanceOf(h, c.key)).toBe(3.32);
  });

  it('a top-up that leaves arrears does not resume', async () => {
    const c = await xlarge();
    await advance(5 * HOUR);
    expect((await server(c.key, c.serverId)).status).toBe('suspended');
    const arrears = (await account(c.key)).arrears_usd as number;
    expect(arrears).toBeGreaterThan(1);
    const adj = await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: 1, reason: 'goodwill' },
    });
    expect(adj.statusCode, adj.body).toBe(200);
    expect((await server(c.key, c.serverId)).status).toBe('suspended');
    // an operator's credit that pays the rest resumes
    const rest = await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: Math.round((arrears - 1) * 100) / 100, reason: 'settled by phone' },
    });
    expect(rest.statusCode, rest.body).toBe(200);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect((await server(c.key, c.serverId)).status).toBe('running');
  });

  it('a prepaid order paid by card covers the arrears and resumes the servers', async () => {
    const c = await xlarge();
    await advance(5 * HOUR);
    expect((await server(c.key, c.serverId)).status).toBe('suspended');
    const arrears = (await account(c.key)).arrears_usd as number;
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'server', spec: 's1.small', payment_mode: 'prepaid', months: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(arrears).toBeGreaterThan(1);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect((await server(c.key, c.serverId)).status).toBe('running');
  });

  it('the settlement run sweeps: arrears paid some other way resume at the next run', async () => {
    const c = await xlarge();
    await advance(5 * HOUR);
    expect((await server(c.key, c.serverId)).status).toBe('suspended');
    const [acc] = await h.db.query<{ balance_cents: number }>(
      'SELECT balance_cents FROM accounts WHERE id = $1',
      [c.id],
    );
    // a credit that bypasses the resume hook (as a refund to the balance would)
    await h.db.query(
      `WITH m AS (UPDATE accounts SET balance_cents = 0 WHERE id = $1 RETURNING 0)
       INSERT INTO ledger_entries (id, account_id, asset, amount, balance_after, cause, created_at)
       VALUES ($2, $1, 'cash', $3::int8, 0, 'refund', $4)`,
      [c.id, h.deps.ids.next('txn'), -acc!.balance_cents, await h.clock.now()],
    );
    const run = await settleServerHours(h.deps);
    expect(run.ok && run.value.resumedAccounts).toBeGreaterThanOrEqual(1);
    expect((await server(c.key, c.serverId)).status).toBe('running');
  });
});
