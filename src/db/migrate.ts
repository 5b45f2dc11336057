/**
 * Numbered SQL migrations (src/db/migrations/NNN_name.sql), applied in order at start and by
 * `orderdesk migrate`. An advisory lock makes concurrent starters wait for one another.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from './client.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_ID = 7_402_118_001;

function listMigrations(): { version: number; name: string; file: string }[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f.slice(4, -4),
      file: path.join(MIGRATIONS_DIR, f),
    }));
}

/** Applies the pending migrations; returns the versions applied. */
export async function migrate(db: Db): Promise<number[]> {
  return db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await q.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const done = new Set(
      (await q.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
    );
    const applied: number[] = [];
    for (const m of listMigrations()) {
      if (done.has(m.version)) continue;
      await execScript(q, fs.readFileSync(m.file, 'utf8'));
      await q.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** Runs a script of several statements one by one (both engines accept this). */
async function execScript(q: { query: (t: string) => Promise<unknown> }, script: string): Promise<void> {
  const withoutComments = script
    .split('\n')
    .filter((l) => !l.trim().startsWith('--'))
    .join('\n');
  for (const stmt of withoutComments.split(/;\s*(?:\n|$)/)) {
    if (stmt.trim()) await q.query(stmt);
  }
}
