/**
 * Once per test run: a migrated template database, so each test file gets a fresh copy fast.
 * PGlite: a data-dir dump in .tmp/; PostgreSQL (DATABASE_URL set): a template database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openPostgres, pgliteDb } from '../../src/db/client.ts';
import { migrate } from '../../src/db/migrate.ts';

export const TEMPLATE_DUMP = path.resolve('.tmp/template-pglite.tar');
export const TEMPLATE_DB = 'orderdesk_test_template';

export default async function setup() {
  fs.mkdirSync(path.dirname(TEMPLATE_DUMP), { recursive: true });
  const lite = new PGlite();
  await migrate(pgliteDb(lite));
  const dump = await lite.dumpDataDir('none');
  fs.writeFileSync(TEMPLATE_DUMP, Buffer.from(await dump.arrayBuffer()));
  await lite.close();

  const url = process.env.DATABASE_URL;
  if (url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname LIKE 'orderdesk_t_%' OR datname = '${TEMPLATE_DB}'`,
    );
    const old = await admin.query(
      `SELECT datname FROM pg_database WHERE datname LIKE 'orderdesk_t_%' OR datname = '${TEMPLATE_DB}'`,
    );
    for (const r of old.rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}"`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${TEMPLATE_DB}`;
    const db = await openPostgres(u.toString(), 1);
    await migrate(db);
    await db.close();
  }
}
