/**
 * A migrated PGlite data folder, built once per migration set and PGlite version, that a fresh
 * DATA_DIR starts from: copying it takes a fraction of a second, where creating a database
 * (initdb inside PGlite) and running every migration takes several (bench/startup).
 *
 * Kept in node_modules/.cache/orderdesk/pglite-template-<key>, the key a hash of the PGlite
 * version and every migration's checksum: a new or changed migration makes a new template (an
 * old one is never used for a different set). Built by `npm start`'s prestart step
 * (scripts/build-pglite-template.ts) or on the first fresh start that finds none. A copy made
 * from it then runs only the migrations newer than it, like any existing database.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDb } from './db/client.ts';
import { listMigrations, migrate } from './db/migrate.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'orderdesk');

/** The installed PGlite's version (its data folder format goes with it). */
function pgliteVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.resolve('@electric-sql/pglite')));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@electric-sql/pglite') return pkg.version ?? 'unknown';
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

/** Where the template for the current migrations and PGlite lives (it may not exist yet). */
export function templateDir(): string {
  const h = createHash('sha256').update(pgliteVersion());
  for (const m of listMigrations()) h.update(`\n${m.version}:${m.checksum}`);
  return path.join(CACHE, `pglite-template-${h.digest('hex').slice(0, 16)}`);
}

const isEmpty = (dir: string) => !fs.existsSync(dir) || fs.readdirSync(dir).length === 0;

/** Drops templates of other migration sets and builds abandoned for an hour (41 MB each). */
function sweep(keep: string): void {
  const hourAgo = Date.now() - 3_600_000;
  for (const name of fs.readdirSync(CACHE)) {
    const p = path.join(CACHE, name);
    if (!name.startsWith('pglite-template-') || p === keep) continue;
    const stale = !name.includes('.tmp-') || fs.statSync(p).mtimeMs < hourAgo;
    if (stale) fs.rmSync(p, { recursive: true, force: true });
  }
}

/**
 * Builds the template when it is missing: a new PGlite in a temporary folder, migrated, closed
 * cleanly, then renamed into place (two builders at once: the second one's copy is dropped).
 * Returns its folder.
 */
export async function ensureTemplate(): Promise<{ dir: string; built: boolean }> {
  const dir = templateDir();
  if (fs.existsSync(dir)) return { dir, built: false };
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  try {
    const db = await openDb({ dataDir: tmp });
    await migrate(db);
    await db.close();
    fs.renameSync(tmp, dir);
    sweep(dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir)) throw e;
  }
  return { dir, built: true };
}

/**
 * A PGlite folder that does not exist yet (or is empty) starts as a copy of the template, copied
 * beside it and renamed so that a crash mid-copy leaves no half database. Anything else is left
 * alone. Returns whether it copied.
 */
export async function seedFromTemplate(pgliteDir: string): Promise<boolean> {
  if (!isEmpty(pgliteDir)) return false;
  const { dir } = await ensureTemplate();
  fs.mkdirSync(path.dirname(pgliteDir), { recursive: true });
  const tmp = fs.mkdtempSync(`${pgliteDir}.tmp-`);
  fs.cpSync(dir, tmp, { recursive: true });
  fs.rmSync(pgliteDir, { recursive: true, force: true });
  fs.renameSync(tmp, pgliteDir);
  return true;
}
