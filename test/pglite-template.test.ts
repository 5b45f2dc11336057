/**
 * A fresh embedded DATA_DIR starts from the migrated PGlite template (src/pglite-template.ts):
 * the copy is a complete, migrated database; a folder that already holds one is left alone;
 * two starts seeding at once each get their own whole copy. PGlite only (the template is an
 * embedded-database thing), whatever DATABASE_URL says.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '../src/db/client.ts';
import { listMigrations, migrate } from '../src/db/migrate.ts';
import { seedFromTemplate, templateDir } from '../src/pglite-template.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-template-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Opens the PGlite folder, checks it is fully migrated, closes it; the migrations it still ran. */
async function migratedVersions(dir: string): Promise<{ ran: number[]; versions: number[] }> {
  const db = await openDb({ dataDir: dir });
  try {
    const ran = await migrate(db);
    const rows = await db.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    return { ran, versions: rows.map((r) => r.version) };
  } finally {
    await db.close();
  }
}

describe('the migrated PGlite template', () => {
  const all = listMigrations().map((m) => m.version);

  it('a new folder becomes a copy of the template: every migration applied, none left to run', async () => {
    const dir = path.join(root, 'a', 'pglite');
    expect(await seedFromTemplate(dir)).toBe(true);
    expect(fs.existsSync(templateDir())).toBe(true);
    expect(await migratedVersions(dir)).toEqual({ ran: [], versions: all });
    // no half-copied sibling left behind
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['pglite']);
  });

  it('a folder that already holds a database is left alone (its rows survive)', async () => {
    const dir = path.join(root, 'b', 'pglite');
    await seedFromTemplate(dir);
    const db = await openDb({ dataDir: dir });
    await db.query('CREATE TABLE kept (n integer)');
    await db.query('INSERT INTO kept VALUES (42)');
    await db.close();
    expect(await seedFromTemplate(dir)).toBe(false);
    const again = await openDb({ dataDir: dir });
    expect(await again.query<{ n: number }>('SELECT n FROM kept')).toEqual([{ n: 42 }]);
    await again.close();
  });

  it('an empty folder (created ahead) is seeded too', async () => {
    const dir = path.join(root, 'c', 'pglite');
    fs.mkdirSync(dir, { recursive: true });
    expect(await seedFromTemplate(dir)).toBe(true);
    expect((await migratedVersions(dir)).versions).toEqual(all);
  });

  it('race: five folders seeded at once each get a whole, independent copy', async () => {
    const dirs = Array.from({ length: 5 }, (_, i) => path.join(root, `race-${i}`, 'pglite'));
    expect(await Promise.all(dirs.map((d) => seedFromTemplate(d)))).toEqual([true, true, true, true, true]);
    for (const d of dirs) expect(await migratedVersions(d)).toEqual({ ran: [], versions: all });
  });
});
