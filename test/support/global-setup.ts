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

/** Each run has its own template (named by the run's pid) so parallel runs do not collide. */
const RUN = `${process.pid}`;
const TEMPLATE_DUMP = path.resolve(`.tmp/template-pglite-${RUN}.tar`);
const TEMPLATE_DB = `orderdesk_tmpl_${RUN}`;

export default async function setup() {
  process.env.ORDERDESK_TEST_RUN = RUN;
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
    await admin.query(`CREATE DATABASE ${TEMPLATE_DB}`);
    await admin.end();
    const u = new URL(url);
    u.pathname = `/${TEMPLATE_DB}`;
    const db = await openPostgres(u.toString(), 1);
    await migrate(db);
    await db.close();
  }

  return async function teardown() {
    fs.rmSync(TEMPLATE_DUMP, { force: true });
    if (!url) return;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const mine = await admin.query(`SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`, [
      TEMPLATE_DB,
      `orderdesk_t_${RUN}_%`,
    ]);
    for (const r of mine.rows) await admin.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    await admin.end();
  };
}
