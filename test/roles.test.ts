/**
 * Process roles for a deployment (issue 13 item 3, ORDERDESK_ROLE): `api` serves HTTP and runs
 * no jobs, `worker` runs the jobs and serves no HTTP, both on one PostgreSQL; the embedded
 * database cannot be split; a bad role stops the start with a message naming it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { start, startWorkerProcess } from '../src/main.ts';
import { emptyPostgres } from './support/test-db.ts';

const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-roles-'));
  dirs.push(d);
  return d;
}

describe('ORDERDESK_ROLE', () => {
  it('is all, api or worker; anything else stops the start', () => {
    expect(loadConfig({}).role).toBe('all');
    expect(loadConfig({ ORDERDESK_ROLE: 'api' }).role).toBe('api');
    expect(() => loadConfig({ ORDERDESK_ROLE: 'web' })).toThrow(/ORDERDESK_ROLE must be all, api or worker/);
  });

  it('api or worker on the embedded database is refused: it belongs to one process', async () => {
    await expect(
      start({ PORT: '0', DATA_DIR: tmp(), LOG_LEVEL: 'silent', ORDERDESK_ROLE: 'api' }),
    ).rejects.toThrow(ConfigError);
    await expect(
      startWorkerProcess({ DATA_DIR: tmp(), LOG_LEVEL: 'silent', ORDERDESK_ROLE: 'worker' }),
    ).rejects.toThrow(/needs DATABASE_URL/);
    await expect(
      start({ PORT: '0', DATA_DIR: tmp(), LOG_LEVEL: 'silent', ORDERDESK_ROLE: 'worker' }),
    ).rejects.toThrow(/serves no HTTP/);
  });

  it.skipIf(!process.env.DATABASE_URL)(
    'on PostgreSQL: the api process schedules no jobs, the worker process runs them',
    async () => {
      const pgdb = await emptyPostgres('orderdesk_roles');
      cleanups.push(() => pgdb.drop());
      const base = {
        DATABASE_URL: pgdb.url,
        LOG_LEVEL: 'silent',
        ORDERDESK_ADMIN_TOKEN: 'adm_roles_test_token_0123456789',
        ORDERDESK_DEMO: '0',
      };
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        const api = await start({ ...base, PORT: '0', DATA_DIR: tmp(), ORDERDESK_ROLE: 'api' });
        cleanups.push(() => api.shutdown());
        const printed = out.mock.calls.map((c) => String(c[0])).join('');
        expect(printed).toContain('no workers: run ORDERDESK_ROLE=worker beside it');
        const db = api.deps.db;
        const periodic = () =>
          db.query<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE dedupe_key LIKE 'periodic:%'");
        expect((await periodic())[0]?.n).toBe(0);
        expect((await fetch(`${api.url}/readyz`)).status).toBe(200);

        const worker = await startWorkerProcess({ ...base, DATA_DIR: tmp(), ORDERDESK_ROLE: 'worker' });
        cleanups.push(() => worker.shutdown());
        expect((await periodic())[0]?.n).toBeGreaterThan(0);
        // the worker's loop runs the due periodic jobs: wait for the first done, with a deadline
        const deadline = Date.now() + 20_000;
        let done = 0;
        while (Date.now() < deadline) {
          done = (
            await db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobs WHERE done_at IS NOT NULL')
          )[0]!.n;
          if (done > 0) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(done).toBeGreaterThan(0);
      } finally {
        out.mockRestore();
      }
    },
  );

  it.skipIf(!process.env.DATABASE_URL)(
    'on PostgreSQL without ORDERDESK_ADMIN_TOKEN: the first host makes the operator token, every host accepts it',
    async () => {
      const pgdb = await emptyPostgres('orderdesk_token');
      cleanups.push(() => pgdb.drop());
      const base = { DATABASE_URL: pgdb.url, LOG_LEVEL: 'silent', ORDERDESK_DEMO: '0', PORT: '0' };
      const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      try {
        const [one, two] = await Promise.all([
          start({ ...base, DATA_DIR: tmp(), ORDERDESK_ROLE: 'api' }),
          start({ ...base, DATA_DIR: tmp(), ORDERDESK_ROLE: 'api' }),
        ]);
        cleanups.push(
          () => one.shutdown(),
          () => two.shutdown(),
        );
        const printed = out.mock.calls.map((c) => String(c[0])).join('');
        const tokens = [...printed.matchAll(/admin token \(generated, kept in the database\): (\S+)/g)].map(
          (m) => m[1],
        );
        expect(tokens).toHaveLength(1);
        expect(printed).toContain('admin token: kept in the database (not shown)');
        for (const host of [one, two]) {
          const res = await fetch(`${host.url}/admin/v1/price-book`, {
            headers: { authorization: `Bearer ${tokens[0]}` },
          });
          expect(res.status).toBe(200);
        }
        const rows = await one.deps.db.query("SELECT id FROM admin_tokens WHERE name = 'bootstrap'");
        expect(rows).toHaveLength(1);
      } finally {
        out.mockRestore();
      }
    },
  );
});
