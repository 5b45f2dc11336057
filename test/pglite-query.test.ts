/**
 * The PGlite query path (src/db/pglite-query.ts): statements prepared once and run in one
 * protocol batch must behave as PGlite's own query() did — results parsed the same, errors with
 * their code and constraint (the idempotent order relies on 23505 with the key's constraint), a
 * bounded statement cache, a caught error aborting its transaction, and a statement whose table
 * changed prepared again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPglite } from '../src/db/client.ts';
import { PGLITE_STATEMENT_CACHE } from '../src/db/pglite-query.ts';

let db: Db;
beforeAll(async () => {
  db = await openPglite();
  await db.exec(`CREATE TABLE t (id text PRIMARY KEY, n int8 NOT NULL, at timestamptz, doc jsonb)`);
});
afterAll(async () => {
  await db?.close();
});

describe('prepared statements on PGlite', () => {
  it('parses int8, timestamptz and jsonb as before and passes parameters by their server types', async () => {
    const at = new Date('2026-05-28T10:00:00Z');
    await db.query('INSERT INTO t (id, n, at, doc) VALUES ($1, $2, $3, $4)', [
      'a',
      9_007_199_254_740_991,
      at,
      { x: 1 },
    ]);
    const [row] = await db.query<{ n: number; at: Date; doc: { x: number } }>(
      'SELECT n, at, doc FROM t WHERE id = $1',
      ['a'],
    );
    expect(row).toEqual({ n: 9_007_199_254_740_991, at, doc: { x: 1 } });
  });

  it('a unique violation carries its code and constraint', async () => {
    const e = await db.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['a', 1]).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: '23505', constraint: 't_pkey' });
  });

  it('more distinct statements than the cache holds all run, and the early ones still run after', async () => {
    const texts = Array.from(
      { length: PGLITE_STATEMENT_CACHE + 20 },
      (_, i) => `SELECT $1::int8 + ${i} AS v`,
    );
    for (const [i, text] of texts.entries()) {
      expect((await db.query<{ v: number }>(text, [1]))[0]!.v).toBe(1 + i);
    }
    expect((await db.query<{ v: number }>(texts[0]!, [5]))[0]!.v).toBe(5);
  });

  it('a caught error inside a transaction makes its commit fail and rolls everything back', async () => {
    const attempt = db.tx(async (q) => {
      await q.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['in-tx', 1]);
      await q.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['a', 1]).catch(() => null);
      return 'done';
    });
    await expect(attempt).rejects.toThrow();
    expect(await db.query('SELECT id FROM t WHERE id = $1', ['in-tx'])).toEqual([]);
  });

  it('a statement whose table gained a column is prepared again', async () => {
    const text = 'SELECT * FROM t WHERE id = $1';
    expect(Object.keys((await db.query(text, ['a']))[0]!)).toEqual(['id', 'n', 'at', 'doc']);
    await db.exec('ALTER TABLE t ADD COLUMN extra text');
    expect(Object.keys((await db.query(text, ['a']))[0]!)).toEqual(['id', 'n', 'at', 'doc', 'extra']);
  });

  it('a query outside a transaction waits for it: it never sees rows the transaction rolls back', async () => {
    // PGlite has one session: a query let in during the transaction would run inside it
    let outside: Promise<unknown[]> | null = null;
    const rolledBack = db.tx(async (q) => {
      await q.query('INSERT INTO t (id, n) VALUES ($1, $2)', ['tx-2', 2]);
      outside = db.query('SELECT id FROM t WHERE id = $1', ['tx-2']);
      await q.query('SELECT 1');
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    expect(await outside).toEqual([]);
  });
});
