/**
 * `orderdesk jobs list|retry`, `settlement runs`, `servers traffic` and `worker` (issue 13: failed
 * jobs listed and retried from the CLI; issue 11: settlement runs): the same use-cases and JSON as
 * the admin API; usage errors exit 2, refusals exit 1. Directly on a database of their own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openContext } from '../src/cli/context.ts';
import { enqueueJob } from '../src/db/jobs.ts';
import { type CliEnv, cliEnv, type Ran, runCli } from './support/cli-env.ts';

let cli: CliEnv;
const orderdesk = (args: string[]): Promise<Ran> => runCli(cli.env, args);

beforeAll(async () => {
  cli = await cliEnv('orderdesk-cli-operations-');
});
afterAll(async () => {
  await cli?.close();
});

/** A job that failed for good, written as the worker leaves one. */
async function failedJob(): Promise<number> {
  const ctx = await openContext(cli.env);
  try {
    const now = await ctx.deps.clock.now();
    await enqueueJob(ctx.deps.db, {
      kind: 'provision_isp_batch',
      payload: { batch_id: 'bat_x' },
      runAt: now,
      now,
    });
    const rows = await ctx.deps.db.query<{ id: number }>(
      `UPDATE jobs SET failed_at = $1, attempts = 25, last_error = 'provider refused'
       WHERE id = (SELECT max(id) FROM jobs) RETURNING id`,
      [now],
    );
    return Number(rows[0]!.id);
  } finally {
    await ctx.close();
  }
}

describe('orderdesk jobs', () => {
  it('list shows failed jobs with their error; retry makes one due; retrying again exits 1', async () => {
    const id = await failedJob();
    const list = await orderdesk(['jobs', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    const data = JSON.parse(list.stdout).data;
    expect(data).toEqual([
      expect.objectContaining({
        id,
        kind: 'provision_isp_batch',
        state: 'failed',
        last_error: 'provider refused',
      }),
    ]);
    const text = await orderdesk(['jobs', 'list', '--text']);
    expect(text.stdout).toContain(`${id}  provision_isp_batch  failed  attempts 25/25  provider refused`);

    const retried = await orderdesk(['jobs', 'retry', String(id), '--json']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(JSON.parse(retried.stdout)).toMatchObject({ id, state: 'due', attempts: 0, failed_at: null });
    const again = await orderdesk(['jobs', 'retry', String(id)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('invalid_state');
    expect((await orderdesk(['jobs', 'retry', '99999999'])).code).toBe(1);
  });

  it('usage errors exit 2 before anything is opened', async () => {
    expect((await orderdesk(['jobs', 'retry', 'abc'])).code).toBe(2);
    expect((await orderdesk(['jobs', 'list', '--state', 'lost'])).code).toBe(2);
    expect(
      (
        await orderdesk([
          'servers',
          'traffic',
          'ins_x',
          '--bytes',
          '-1',
          '--report-id',
          'r',
          '--at',
          '2026-05-28T10:00:00Z',
        ])
      ).code,
    ).toBe(2);
    expect((await orderdesk(['servers', 'traffic', 'ins_x', '--bytes', '10', '--report-id', 'r'])).code).toBe(
      2,
    );
  });
});

describe('orderdesk settlement runs and servers traffic', () => {
  it('settle then settlement runs lists the run; traffic for an unknown server exits 1 not_found', async () => {
    const settled = await orderdesk(['settle', '--json']);
    expect(settled.code, settled.stderr).toBe(0);
    const run = JSON.parse(settled.stdout);
    const runs = await orderdesk(['settlement', 'runs', '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout).data[0]).toMatchObject({ id: run.id, hours: 0 });
    const traffic = await orderdesk([
      'servers',
      'traffic',
      'ins_unknown',
      '--bytes',
      '1000',
      '--report-id',
      'r1',
      '--at',
      '2026-05-28T09:00:00Z',
    ]);
    expect(traffic.code).toBe(1);
    expect(traffic.stderr).toContain('not_found');
  });

  it.skipIf(Boolean(process.env.DATABASE_URL))(
    'worker on the embedded database is refused with a message',
    async () => {
      const r = await orderdesk(['worker']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('needs DATABASE_URL');
    },
  );
});
