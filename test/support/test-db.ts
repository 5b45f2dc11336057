/**
 * A fresh, migrated database for one test file: a copy of the template, on PGlite by default or
 * on PostgreSQL when DATABASE_URL is set.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { type Db, openPglite, openPostgres } from '../../src/db/client.ts';

const RUN = process.env.ORDERDESK_TEST_RUN ?? 'none';
export const TEMPLATE_DUMP = path.resolve(`.tmp/template-pglite-${RUN}.tar`);
const TEMPLATE_DB = `orderdesk_tmpl_${RUN}`;

export const engine: 'pglite' | 'postgres' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDb {
  db: Db;
  /** another connection pool to the same database (a second "process") — PostgreSQL only */
  url: string | null;
  close(): Promise<void>;
}

export async function freshDb(): Promise<TestDb> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const db = await openPglite(undefined, new Blob([fs.readFileSync(TEMPLATE_DUMP)]));
    return { db, url: null, close: () => db.close() };
  }
  const name = `orderdesk_t_${RUN}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  await admin.end();
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openPostgres(u.toString(), 20);
  return {
    db,
    url: u.toString(),
    async close() {
      await db.close();
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/**
 * An empty PostgreSQL database (nothing migrated) for tests of the start, the roles and the
 * migration runner; `drop` removes it. Needs DATABASE_URL.
 */
export async function emptyPostgres(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) throw new Error('emptyPostgres needs DATABASE_URL');
  const name = `${prefix}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: base });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}
