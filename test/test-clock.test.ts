import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../src/db/jobs.ts';
import { type Harness, harness, START } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

describe('test clock (SPEC §12)', () => {
  it('advance moves the shared clock and answers with the new time', async () => {
    const before = (await h.call('GET', '/admin/v1/clock', { admin: true })).json();
    expect(before).toMatchObject({ now: START.toISOString(), frozen: true });
    const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 600 } });
    expect(res.statusCode).toBe(200);
    expect(res.json().now).toBe(new Date(START.getTime() + 600_000).toISOString());
    expect((await h.deps.clock.now()).toISOString()).toBe(res.json().now);
  });

  it('runs each job that became due, at its due time, before answering', async () => {
    const now = await h.clock.now();
    const dueAt = new Date(now.getTime() + 3600_000);
    await enqueueJob(h.db, { kind: 'purge_idempotency_keys', runAt: dueAt, now });
    const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 7200 } });
    expect(res.json().jobs_run).toBeGreaterThanOrEqual(1);
    const rows = await h.db.query<{ done_at: Date | null }>(
      `SELECT done_at FROM jobs WHERE kind = 'purge_idempotency_keys' AND run_at = $1`,
      [dueAt],
    );
    expect(rows[0]?.done_at?.toISOString()).toBe(dueAt.toISOString());
  });

  it('refuses bad input and customers', async () => {
    expect(
      (await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: -5 } })).statusCode,
    ).toBe(400);
    const c = await h.customer();
    expect(
      (await h.call('POST', '/admin/v1/clock/advance', { key: c.key, body: { seconds: 5 } })).statusCode,
    ).toBe(403);
  });

  it('is refused when the test clock is off', async () => {
    const off = await harness({ ORDERDESK_TEST_CLOCK: '0' });
    try {
      // the harness always injects a database clock; a server started without the flag uses the system clock
      off.deps.clock = { now: async () => new Date(), frozen: false };
      const res = await off.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 5 } });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('invalid_state');
    } finally {
      await off.close();
    }
  });
});
