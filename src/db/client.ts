/**
 * One database interface over embedded PGlite and PostgreSQL (node-postgres). Everything above
 * this layer sees `Sql` (a query function) and `Db` (plus transactions); both engines return
 * int8 as a JS number (checked safe), timestamptz as Date, numeric as string, jsonb parsed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { pgliteMain, pgliteTransaction } from './pglite-query.ts';

export interface QueryOptions {
  /**
   * PostgreSQL: prepare the statement once per connection and reuse it (no parse and plan on
   * every call). For hot paths whose text is one of a few fixed strings. PGlite ignores it: there
   * every statement is prepared (a bounded cache, db/pglite-query.ts).
   */
  prepare?: boolean;
}

export interface Sql {
  query<T = Record<string, unknown>>(
    text: string,
    params?: readonly unknown[],
    opts?: QueryOptions,
  ): Promise<T[]>;
}

/** A connection that also runs a whole script of several statements (migrations). */
export interface ScriptSql extends Sql {
  /** Runs `script` (several statements, no parameters) as one simple-protocol query. */
  exec(script: string): Promise<void>;
}

export interface Db extends Sql {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction (READ COMMITTED); a throw rolls it back. */
  tx<T>(fn: (q: ScriptSql) => Promise<T>): Promise<T>;
  /** Runs `script` outside any transaction (CREATE INDEX CONCURRENTLY). */
  exec(script: string): Promise<void>;
  /**
   * For list and report reads that may lag a moment: the read replica (DATABASE_READ_URL) when
   * one is set, else this same database. Never for anything that moves money or stock.
   */
  readonly read: Sql;
  close(): Promise<void>;
}

function int8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${value} exceeds the safe integer range`);
  return n;
}

/**
 * The embedded database's buffer cache. PostgreSQL's default (128MB, written into every data
 * folder by initdb) is zeroed at each open: PGlite's `memset` was the largest single item of its
 * start-up CPU, and the 128 MB of memory growth set off garbage collections (a restart's main
 * thread: 730 → 610 ms of CPU). PGlite is one process whose files the operating system caches
 * anyway, so a smaller cache costs little (docs/decisions.md, "Start-up in seconds").
 */
export const PGLITE_SHARED_BUFFERS = '16MB';

/** The start parameters the embedded database opens with: PGlite's own and the buffer cache. */
export function pgliteStartParams(): string[] {
  return [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS}`];
}

let wasm: WebAssembly.Module | undefined;

/**
 * PGlite's WebAssembly, compiled synchronously, once per process. Left to PGlite it is compiled
 * asynchronously, and V8's background compilation then goes on for a few hundred ms after the
 * open: on two cores every asynchronous file read and the first requests waited 0.14–0.3 s behind
 * it (docs/decisions.md, "Start-up in seconds"). A second open in the process (tests, the CLI)
 * reuses the compiled module.
 */
function pgliteWasm(): WebAssembly.Module {
  if (!wasm) {
    const dist = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
    wasm = new WebAssembly.Module(fs.readFileSync(path.join(dist, 'pglite.wasm')));
  }
  return wasm;
}

/** Embedded PGlite in `dataDir` (in memory when unset), optionally loaded from a data-dir dump. */
export async function openPglite(dataDir?: string, loadDataDir?: Blob): Promise<Db> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const lite = new PGlite({
    ...(dataDir ? { dataDir } : {}),
    startParams: pgliteStartParams(),
    pgliteWasmModule: pgliteWasm(),
    parsers: { 20: int8 },
    ...(loadDataDir ? { loadDataDir } : {}),
  });
  await lite.waitReady;
  return pgliteDb(lite);
}

export function pgliteDb(lite: PGlite): Db {
  // every statement prepared once and run in one protocol batch (db/pglite-query.ts)
  const main = pgliteMain(lite);
  return {
    engine: 'pglite',
    query: main.query,
    exec: main.exec,
    tx: (fn) => pgliteTransaction(lite, fn),
    read: main,
    close: () => lite.close(),
  };
}

const statementNames = new Map<string, string>();

/** A prepared statement's name: the same text always gets the same name, on every connection. */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `od_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * `preparedStatements: false` sends every query unnamed (`prepare` is ignored): PgBouncer before
 * 1.21 in transaction pooling hands each transaction any server connection, where a named
 * statement prepared on another one "does not exist" (or "already exists").
 */
export async function openPostgres(
  url: string,
  max = 10,
  preparedStatements = true,
  /** a read replica for `Db.read` (its own pool of `max`); unset: `read` is this database */
  readUrl?: string,
): Promise<Db> {
  // loaded here, not at start: a server on the embedded database never needs the driver
  const { default: driver } = await import('pg');
  const types = {
    getTypeParser(oid: number, format?: string) {
      if (oid === 20) return int8;
      return driver.types.getTypeParser(oid, format as 'text');
    },
  };
  const newPool = (connectionString: string) => {
    const p = new driver.Pool({ connectionString, max, types: types as never });
    p.on('error', () => {
      /* an idle client died; the pool replaces it */
    });
    return p;
  };
  const pool = newPool(url);
  const readPool = readUrl ? newPool(readUrl) : null;
  const wrap = (runner: pg.Pool | pg.PoolClient): ScriptSql => ({
    async query<T>(text: string, params?: readonly unknown[], opts?: QueryOptions) {
      const values = params as unknown[] | undefined;
      const r =
        opts?.prepare && preparedStatements
          ? await runner.query({ name: statementName(text), text, ...(values ? { values } : {}) })
          : await runner.query(text, values);
      return r.rows as T[];
    },
    async exec(script: string) {
      // no parameters: the simple query protocol, which runs several statements in one go
      await runner.query(script);
    },
  });
  await pool.query('select 1');
  await readPool?.query('select 1');
  const main = wrap(pool);
  return {
    engine: 'postgres',
    ...main,
    read: readPool ? wrap(readPool) : main,
    async tx(fn) {
      const client = await pool.connect();
      // A checked-out client has no 'error' listener (the pool's is only on idle ones): a connection
      // lost while the transaction's own code runs (a restart, a failover) would be an uncaught
      // 'error' event and end the process. Kept here instead; the next statement rejects, and the
      // client leaves the pool (test/postgres-connection-loss.test.ts).
      let lost: Error | undefined;
      const onError = (e: Error) => {
        lost = e;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const out = await fn(wrap(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => {});
        throw e;
      } finally {
        client.removeListener('error', onError);
        client.release(lost);
      }
    },
    async close() {
      await Promise.all([pool.end(), readPool?.end()]);
    },
  };
}

export async function openDb(opts: {
  databaseUrl?: string;
  /** PostgreSQL: a read replica for `Db.read` (list and report reads that may lag) */
  databaseReadUrl?: string;
  dataDir?: string;
  poolSize?: number;
  /** PostgreSQL: named prepared statements on the hot paths (default on) */
  preparedStatements?: boolean;
}): Promise<Db> {
  return opts.databaseUrl
    ? openPostgres(opts.databaseUrl, opts.poolSize, opts.preparedStatements, opts.databaseReadUrl)
    : openPglite(opts.dataDir);
}
