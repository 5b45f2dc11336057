/**
 * The job queue (issue 13 item 2): a lease per job with a fencing check on finish, periodic jobs
 * that back off but never die, failed jobs listed and retried by operators, done jobs pruned
 * after the retention, and the queue's figures on /metrics.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneJobs } from '../src/app/job-queue/prune-jobs.ts';
import { claimDueJobs, completeJob, enqueueJob, renewLease } from '../src/db/jobs.ts';
import { drainDueJobs, type JobKind } from '../src/jobs/worker.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const HOUR = 3600;
let n = 0;
const unique = (s: string) => `${s}_${++n}`;

async function job(id: number) {
  const rows = await h.db.query<{
    attempts: number;
    done_at: Date | null;
    failed_at: Date | null;
    run_at: Date;
    last_error: string | null;
  }>('SELECT attempts, done_at, failed_at, run_at, last_error FROM jobs WHERE id = $1', [id]);
  return rows[0]!;
}

async function enqueue(
  kind: string,
  opts: { dedupeKey?: string; maxAttempts?: number } = {},
): Promise<number> {
  const now = await h.clock.now();
  await enqueueJob(h.db, { kind, runAt: now, now, payload: { n }, ...opts });
  const rows = await h.db.query<{ id: number }>('SELECT max(id) AS id FROM jobs WHERE kind = $1', [kind]);
  return Number(rows[0]!.id);
}

describe('leases and fencing', () => {
  it('a job whose lease ran out is taken by another worker; the first can neither run nor finish it', async () => {
    const kind = unique('lease_test');
    const id = await enqueue(kind);
    const t0 = await h.clock.now();
    const lease = (at: Date) => new Date(at.getTime() + 300_000);
    const a = await h.db.tx((q) => claimDueJobs(q, t0, lease(t0), 50, 'worker-a'));
    expect(a.map((j) => j.id)).toContain(id);
    // worker A is slow on the jobs before this one; its lease runs out
    await h.clock.advance(301);
    const t1 = await h.clock.now();
    const b = await h.db.tx((q) => claimDueJobs(q, t1, lease(t1), 50, 'worker-b'));
    expect(b.map((j) => j.id)).toContain(id);
    expect(await renewLease(h.db, id, 'worker-a', lease(t1))).toBe(false);
    expect(await completeJob(h.db, id, 'worker-a', t1)).toBe(false);
    expect((await job(id)).done_at).toBeNull();
    expect(await renewLease(h.db, id, 'worker-b', lease(t1))).toBe(true);
    expect(await completeJob(h.db, id, 'worker-b', t1)).toBe(true);
    expect((await job(id)).attempts).toBe(2);
    // finishing twice is refused too
    expect(await completeJob(h.db, id, 'worker-b', t1)).toBe(false);
  });

  it('two workers draining at once run each job once', async () => {
    const kind = unique('once_test');
    const ran: number[] = [];
    const kinds: Record<string, JobKind> = {
      [kind]: { handler: async (_d, j) => void ran.push(j.id) },
    };
    const ids: number[] = [];
    for (let i = 0; i < 20; i++) ids.push(await enqueue(kind));
    await Promise.all([drainDueJobs(h.deps, kinds), drainDueJobs(h.deps, kinds)]);
    expect(ran.sort((x, y) => x - y)).toEqual(ids);
  });
});

describe('periodic jobs never die', () => {
  it('a periodic job failing past its max attempts backs off and is tried again; once it works it runs on schedule', async () => {
    const kind = unique('periodic_test');
    let failing = true;
    let runs = 0;
    const kinds: Record<string, JobKind> = {
      [kind]: {
        everySeconds: 60,
        handler: async () => {
          runs += 1;
          if (failing) throw new Error('upstream down');
        },
      },
    };
    const id = await enqueue(kind, { dedupeKey: `periodic:${kind}`, maxAttempts: 3 });
    for (let i = 0; i < 6; i++) {
      await drainDueJobs(h.deps, kinds);
      await h.clock.advance(HOUR);
    }
    expect(runs).toBe(6);
    const j = await job(id);
    expect(j.failed_at).toBeNull();
    expect(j.attempts).toBe(6);
    expect(j.last_error).toBe('upstream down');
    failing = false;
    await drainDueJobs(h.deps, kinds);
    expect((await job(id)).done_at).not.toBeNull();
    const next = await h.db.query<{ run_at: Date }>(
      'SELECT run_at FROM jobs WHERE dedupe_key = $1 AND done_at IS NULL',
      [`periodic:${kind}`],
    );
    expect(next).toHaveLength(1);
  });

  it('a one-off job failing max attempts fails for good', async () => {
    const kind = unique('oneoff_test');
    const kinds: Record<string, JobKind> = {
      [kind]: {
        handler: async () => {
          throw new Error('bad payload');
        },
      },
    };
    const id = await enqueue(kind, { maxAttempts: 2 });
    for (let i = 0; i < 3; i++) {
      await drainDueJobs(h.deps, kinds);
      await h.clock.advance(HOUR);
    }
    expect((await job(id)).failed_at).not.toBeNull();
  });
});

describe('operators see and retry failed jobs', () => {
  it('GET /admin/v1/jobs lists failed jobs with their error; retry makes one due with fresh attempts', async () => {
    const kind = unique('admin_test');
    const kinds: Record<string, JobKind> = {
      [kind]: {
        handler: async () => {
          throw new Error('provider timeout');
        },
      },
    };
    const id = await enqueue(kind, { maxAttempts: 1 });
    await drainDueJobs(h.deps, kinds);
    const list = await h.call('GET', `/admin/v1/jobs?state=failed&kind=${kind}`, { admin: true });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data).toEqual([
      expect.objectContaining({
        object: 'job',
        id,
        kind,
        state: 'failed',
        attempts: 1,
        last_error: 'provider timeout',
      }),
    ]);
    const retried = await h.call('POST', `/admin/v1/jobs/${id}/retry`, { admin: true });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ id, state: 'due', attempts: 0, failed_at: null });
    const again = await h.call('POST', `/admin/v1/jobs/${id}/retry`, { admin: true });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');
    expect((await h.call('GET', `/admin/v1/jobs/${id}`, { admin: true })).json().state).toBe('due');
  });

  it('unknown, malformed and unauthenticated requests are refused', async () => {
    expect((await h.call('POST', '/admin/v1/jobs/999999999/retry', { admin: true })).statusCode).toBe(404);
    expect((await h.call('GET', '/admin/v1/jobs/999999999', { admin: true })).statusCode).toBe(404);
    expect((await h.call('POST', '/admin/v1/jobs/abc/retry', { admin: true })).statusCode).toBe(400);
    expect((await h.call('GET', '/admin/v1/jobs?state=lost', { admin: true })).statusCode).toBe(400);
    expect((await h.call('GET', '/admin/v1/jobs', {})).statusCode).toBe(401);
    const c = await h.customer();
    expect((await h.call('GET', '/admin/v1/jobs', { key: c.key })).statusCode).toBe(403);
  });
});

describe('pruning and metrics', () => {
  it('done jobs older than the retention (72 h) are deleted; newer and failed ones stay', async () => {
    const kind = unique('prune_test');
    const ok: Record<string, JobKind> = { [kind]: { handler: async () => {} } };
    const old = await enqueue(kind);
    await drainDueJobs(h.deps, ok);
    await h.clock.advance(71 * HOUR);
    const recent = await enqueue(kind);
    await drainDueJobs(h.deps, ok);
    await h.clock.advance(2 * HOUR);
    expect(await pruneJobs(h.deps)).toBeGreaterThanOrEqual(1);
    const left = await h.db.query<{ id: number }>('SELECT id FROM jobs WHERE kind = $1', [kind]);
    expect(left.map((r) => Number(r.id))).toEqual([recent]);
    expect(old).toBeLessThan(recent);
    const failed = await h.db.query('SELECT 1 FROM jobs WHERE failed_at IS NOT NULL');
    expect(failed.length).toBeGreaterThan(0);
  });

  it('/metrics shows the queue: due, oldest due age, failed', async () => {
    const kind = unique('metrics_test');
    await enqueue(kind);
    await h.clock.advance(90);
    const res = await h.call('GET', '/metrics', {});
    expect(res.statusCode).toBe(200);
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(res.body)?.[1]);
    expect(value('orderdesk_jobs_due')).toBeGreaterThanOrEqual(1);
    expect(value('orderdesk_jobs_oldest_due_age_seconds')).toBeGreaterThanOrEqual(90);
    expect(value('orderdesk_jobs_failed')).toBeGreaterThanOrEqual(1);
    expect(res.body).toContain('# HELP orderdesk_jobs_running');
  });
});
