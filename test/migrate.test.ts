/**
 * The migration runner (issue 13): scripts run whole (a function body with semicolons at line
 * ends), each once, checksummed (a changed file stops the start, naming it), and a script marked
 * `-- orderdesk: no-transaction` runs outside a transaction (CREATE INDEX CONCURRENTLY). On the
 * embedded PGlite always, and on PostgreSQL when DATABASE_URL is set.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Db, openPglite, openPostgres } from '../src/db/client.ts';
import { MigrationChecksumError, migrate } from '../src/db/migrate.ts';
import { emptyPostgres } from './support/test-db.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function emptyDb(engine: 'pglite' | 'postgres'): Promise<Db> {
  if (engine === 'pglite') {
    const db = await openPglite();
    cleanups.push(() => db.close());
    return db;
  }
  const pgdb = await emptyPostgres('orderdesk_migrate');
  const db = await openPostgres(pgdb.url, 2);
  cleanups.push(async () => {
    await db.close();
    await pgdb.drop();
  });
  return db;
}

function scripts(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-migrations-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const FUNCTION = `-- a function whose body has semicolons at line ends
CREATE TABLE things (id integer PRIMARY KEY, n integer NOT NULL DEFAULT 0);
CREATE FUNCTION bump_things() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.n := NEW.n + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER things_bump BEFORE INSERT ON things FOR EACH ROW EXECUTE FUNCTION bump_things();
`;
const CONCURRENT = `-- orderdesk: no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS things_n_idx ON things (n);
`;

const engines = (['pglite', 'postgres'] as const).filter((e) => e === 'pglite' || process.env.DATABASE_URL);

describe.each(engines)('migrations on %s', (engine) => {
  it('run whole and once; a no-transaction script builds an index concurrently', async () => {
    const db = await emptyDb(engine);
    const dir = scripts({ '001_things.sql': FUNCTION, '002_things_index.sql': CONCURRENT });
    expect(await migrate(db, dir)).toEqual([1, 2]);
    await db.query('INSERT INTO things (id) VALUES (1)');
    expect((await db.query<{ n: number }>('SELECT n FROM things'))[0]?.n).toBe(1);
    const idx = await db.query("SELECT indexname FROM pg_indexes WHERE indexname = 'things_n_idx'");
    expect(idx).toHaveLength(1);
    const rows = await db.query<{ version: number; checksum: string }>(
      'SELECT version, checksum FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
    expect(await migrate(db, dir)).toEqual([]);
  });

  it('a migration changed after it was applied stops the start, naming the file', async () => {
    const db = await emptyDb(engine);
    const dir = scripts({ '001_things.sql': FUNCTION });
    await migrate(db, dir);
    fs.writeFileSync(path.join(dir, '001_things.sql'), `${FUNCTION}\nALTER TABLE things ADD COLUMN x int;\n`);
    fs.writeFileSync(path.join(dir, '002_more.sql'), 'CREATE TABLE more (id int);\n');
    await expect(migrate(db, dir)).rejects.toThrow(MigrationChecksumError);
    await expect(migrate(db, dir)).rejects.toThrow(/001_things\.sql was changed after it was applied/);
    // nothing after it ran
    expect(await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'more'")).toEqual([]);
  });

  it('a line-ending change is not a change; rows from before checksums get theirs', async () => {
    const db = await emptyDb(engine);
    const dir = scripts({ '001_things.sql': FUNCTION });
    await migrate(db, dir);
    await db.query('UPDATE schema_migrations SET checksum = NULL');
    fs.writeFileSync(path.join(dir, '001_things.sql'), FUNCTION.replace(/\n/g, '\r\n'));
    expect(await migrate(db, dir)).toEqual([]);
    const [row] = await db.query<{ checksum: string | null }>('SELECT checksum FROM schema_migrations');
    expect(row?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a failing script leaves nothing of itself and is not recorded', async () => {
    const db = await emptyDb(engine);
    const dir = scripts({
      '001_things.sql': FUNCTION,
      '002_broken.sql': 'CREATE TABLE half (id int);\nSELECT no_such_function();\n',
    });
    await expect(migrate(db, dir)).rejects.toThrow(/no_such_function/);
    expect(await db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half'")).toEqual([]);
    const rows = await db.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toEqual([1]);
  });
});

describe('the project’s migrations', () => {
  it('every one applies on an empty embedded database, and again is a no-op', async () => {
    const db = await emptyDb('pglite');
    const applied = await migrate(db);
    expect(applied.length).toBeGreaterThan(20);
    expect(await migrate(db)).toEqual([]);
  });
});
