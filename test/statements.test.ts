/**
 * Monthly statements (issue 11 item 4): after May ends (UTC), an account whose postpaid server
 * ran gets one statement of May — its hours and their amount, coupon-covered hours at 0 — as a
 * mail and at GET /v1/billing/statements; once, however often the job runs; an account with only
 * prepaid products gets none; another account's statement is 404.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueMonthlyStatements } from '../src/app/statements/issue-monthly-statements.ts';
import { jobKinds } from '../src/jobs/kinds.ts';
import { schedulePeriodic } from '../src/jobs/worker.ts';
import { type Harness, harness, START } from './support/harness.ts';
import { advanceClock, orderServer } from './support/settlement.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
  await schedulePeriodic(h.deps, {
    settle_server_hours: jobKinds.settle_server_hours!,
    settle_server_traffic: jobKinds.settle_server_traffic!,
    monthly_statements: jobKinds.monthly_statements!,
  });
});
afterAll(async () => {
  await h?.close();
});

const JUNE_1 = Date.UTC(2026, 5, 1);

describe('the statement of May 2026', () => {
  it('a postpaid s1.small from 2026-05-28T10:00Z to the end of May: 86 hours, 2.58; one mail; once', async () => {
    expect(START.toISOString()).toBe('2026-05-28T10:00:00.000Z');
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const serverId = await orderServer(h, c.key);
    const prepaidOnly = await h.customer({ balanceUsd: 100 });
    const bw = await h.call('POST', '/v1/orders', {
      key: prepaidOnly.key,
      body: { product: 'residential', gb: 1 },
    });
    expect(bw.statusCode).toBe(200);

    // one advance past the month's end: the job runs at 2026-06-01T00:00Z
    const now = (await h.clock.now()).getTime();
    await advanceClock(h, (JUNE_1 - now) / 1000 + 2 * 3600);

    const list = await h.call('GET', '/v1/billing/statements', { key: c.key });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data).toHaveLength(1);
    const s = list.json().data[0];
    expect(s).toMatchObject({
      object: 'statement',
      month: '2026-05',
      period_start: '2026-05-01T00:00:00.000Z',
      period_end: '2026-06-01T00:00:00.000Z',
      server_hours: 86,
      covered_hours: 0,
      servers_usd: 2.58,
      traffic_usd: 0,
      total_usd: 2.58,
      balance_usd: 97.42,
      servers: [{ server_id: serverId, spec: 's1.small', hours: 86, covered_hours: 0, amount_usd: 2.58 }],
      created_at: '2026-06-01T00:00:00.000Z',
    });
    expect(list.body).toContain('"total_usd":2.58');
    const one = await h.call('GET', `/v1/billing/statements/${s.id}`, { key: c.key });
    expect(one.json()).toEqual(s);

    const mails = await h.db.query<{ subject: string; body_text: string }>(
      "SELECT subject, body_text FROM mail_outbox WHERE account_id = $1 AND kind = 'monthly_statement'",
      [c.id],
    );
    expect(mails.map((m) => m.subject)).toEqual(['Your orderdesk statement for 2026-05: 2.58 USD']);
    expect(mails[0]!.body_text).toContain(`${serverId} (s1.small): 86 h — 2.58 USD`);

    // again, by the job and directly: nothing new
    await advanceClock(h, 3600);
    expect(await issueMonthlyStatements(h.deps)).toBe(0);
    expect((await h.call('GET', '/v1/billing/statements', { key: c.key })).json().data).toHaveLength(1);

    // prepaid only: no statement; another account's statement is not found
    expect((await h.call('GET', '/v1/billing/statements', { key: prepaidOnly.key })).json().data).toEqual([]);
    const other = await h.call('GET', `/v1/billing/statements/${s.id}`, { key: prepaidOnly.key });
    expect(other.statusCode).toBe(404);
    expect((await h.call('GET', '/v1/billing/statements/stm_unknown', { key: c.key })).statusCode).toBe(404);
    expect((await h.call('GET', '/v1/billing/statements', {})).statusCode).toBe(401);
  });

  it('two runs at once issue each statement once', async () => {
    const rows = await h.db.query('SELECT account_id FROM statements');
    await h.db.query('DELETE FROM mail_outbox WHERE kind = $1', ['monthly_statement']);
    await h.db.query('DELETE FROM statements');
    const [a, b] = await Promise.all([issueMonthlyStatements(h.deps), issueMonthlyStatements(h.deps)]);
    expect(a + b).toBe(rows.length);
    expect(await h.db.query('SELECT account_id FROM statements')).toHaveLength(rows.length);
    const mails = await h.db.query("SELECT 1 FROM mail_outbox WHERE kind = 'monthly_statement'");
    expect(mails).toHaveLength(rows.length);
  });
});
