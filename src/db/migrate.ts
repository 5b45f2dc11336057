/**
 * Numbered SQL migrations (src/db/migrations/NNN_name.sql), applied in order at start and by
 * `orderdesk migrate`.
 *
 * - Each script runs whole: sent as one multi-statement query (so function bodies, `$$` quoting
 *   and semicolons anywhere are PostgreSQL's to parse, not ours), in its own transaction together
 *   with its row in schema_migrations. A transaction-scoped advisory lock makes concurrent
 *   starters wait for one another; each re-reads what is applied once it holds the lock.
 * - Each applied script's SHA-256 is kept: a migration file changed after it was applied stops
 *   the start with MigrationChecksumError naming it (migrations are immutable: write a new one).
 *   Rows from before checksums were kept get theirs on the first run.
 * - A script whose first line is `-- orderdesk: no-transaction` runs outside any transaction, for
 *   what PostgreSQL refuses inside one (`CREATE INDEX CONCURRENTLY`). It must be idempotent
 *   (`IF NOT EXISTS`): a crash between the script and its row runs it again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db, Sql } from './client.ts';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_ID = 7_402_118_001;
const NO_TRANSACTION = /^--\s*orderdesk:\s*no-transaction\s*$/m;

export interface Migration {
  version: number;
  name: string;
  file: string;
  script: string;
  checksum: string;
  transactional: boolean;
}

export class MigrationChecksumError extends Error {
  override name = 'MigrationChecksumError';
}

/** The SHA-256 of a script, line endings normalised (a checkout with CRLF is the same file). */
export function scriptChecksum(script: string): string {
  return createHash('sha256').update(script.replace(/\r\n/g, '\n')).digest('hex');
}

export function listMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => {
      const script = fs.readFileSync(path.join(dir, f), 'utf8');
      const firstLine = script.split('\n', 1)[0] ?? '';
      return {
        version: Number(f.slice(0, 3)),
        name: f.slice(4, -4),
        file: path.join(dir, f),
        script,
        checksum: scriptChecksum(script),
        transactional: !NO_TRANSACTION.test(firstLine),
      };
    });
}

async function applied(q: Sql): Promise<Map<number, string | null>> {
  const rows = await q.query<{ version: number; checksum: string | null }>(
    'SELECT version, checksum FROM schema_migrations',
  );
  return new Map(rows.map((r) => [r.version, r.checksum]));
}

/**
 * The start of an up-to-date database: one read, no transaction and no lock, when every script
 * is recorded with its checksum unchanged. Anything else (no table yet, a checksum missing or
 * different, a script pending) is for the full path, which checks and applies under the lock.
 */
async function upToDate(db: Db, migrations: Migration[]): Promise<boolean> {
  let done: Map<number, string | null>;
  try {
    done = await applied(db);
  } catch {
    return false; // no schema_migrations (or no checksum column) yet
  }
  return migrations.every((m) => done.get(m.version) === m.checksum);
}

/** Applies the pending migrations (from `dir`, the project's by default); returns the versions applied. */
export async function migrate(db: Db, dir: string = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = listMigrations(dir);
  if (await upToDate(db, migrations)) return [];
  let known = new Map<number, string | null>();
  await db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await q.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query('ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS checksum text');
    const done = await applied(q);
    known = done;
    for (const m of migrations) {
      if (!done.has(m.version)) continue;
      const sum = done.get(m.version) ?? null;
      if (sum === null) {
        await q.query('UPDATE schema_migrations SET checksum = $2 WHERE version = $1', [
          m.version,
          m.checksum,
        ]);
      } else if (sum !== m.checksum) {
        throw new MigrationChecksumError(
          `migration ${path.basename(m.file)} was changed after it was applied (checksum ${sum.slice(0, 12)}… in the database, ${m.checksum.slice(0, 12)}… on disk): migrations are immutable; restore the file and write a new migration`,
        );
      }
    }
  });
  const out: number[] = [];
  for (const m of migrations) {
    // applied before the check above (with its checksum verified there): never unapplied since
    if (known.has(m.version)) continue;
    if (m.transactional) {
      const ran = await db.tx(async (q) => {
        await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
        if ((await applied(q)).has(m.version)) return false;
        await q.exec(m.script);
        await record(q, m);
        return true;
      });
      if (ran) out.push(m.version);
      continue;
    }
    if ((await applied(db)).has(m.version)) continue;
    await db.exec(m.script);
    if (await db.tx((q) => record(q, m))) out.push(m.version);
  }
  return out;
}

async function record(q: Sql, m: Migration): Promise<boolean> {
  const rows = await q.query(
    `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)
     ON CONFLICT (version) DO NOTHING RETURNING version`,
    [m.version, m.name, m.checksum],
  );
  return rows.length > 0;
}
