/**
 * A PostgreSQL connection lost in the middle of a transaction (the server restarted, a failover,
 * an operator's pg_terminate_backend): the transaction fails, the process goes on. A checked-out
 * pg client has no 'error' listener of the pool's (that one is only on idle clients), so an error
 * arriving between two statements used to be an uncaught 'error' event that ended the whole API
 * process with exit code 1 — seen once in ten runs of test/replica-failover.test.ts.
 *
 * PostgreSQL only (PGlite has no connections to lose).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Db, openPostgres } from '../src/db/client.ts';

const url = process.env.DATABASE_URL;

describe.skipIf(!url)('a PostgreSQL connection lost mid-transaction', () => {
  let db: Db;
  let admin: Db;
  beforeAll(async () => {
    db = await openPostgres(url!, 2);
    admin = await openPostgres(url!, 1);
  });
  afterAll(async () => {
    await db?.close();
    await admin?.close();
  });

  /** Ends backend `pid` and returns once it is gone (its last words have reached our socket). */
  async function terminate(pid: number): Promise<void> {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    for (;;) {
      const [row] = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1',
        [pid],
      );
      if (row!.n === 0) break;
    }
    // one more round trip: the terminated socket's data is read in the same turns of the loop
    await admin.query('SELECT 1');
  }

  it('between two statements: the transaction rejects, nothing is uncaught, the pool goes on', async () => {
    let terminated = 0;
    const failed = await db
      .tx(async (q) => {
        const [me] = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        terminated = me!.pid;
        // the transaction's own code is running (no statement in flight) when the error arrives
        await terminate(me!.pid);
        await q.query('SELECT 1');
        return 'committed';
      })
      .then(
        (v) => v,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(Error);
    expect(String(failed)).toMatch(/terminat|connection/i);
    // the broken client left the pool: both of its connections answer, neither is the dead one
    const pids = await Promise.all(
      [1, 2].map(() =>
        db.tx(async (q) => (await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid),
      ),
    );
    expect(pids).not.toContain(terminated);
  });

  it('while a statement runs: the statement rejects and the next transaction gets a live connection', async () => {
    const failed = await db
      .tx(async (q) => {
        const [me] = await q.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        // its outcome is taken at once (it may fail before the terminate's round trip returns)
        const running = q.query('SELECT pg_sleep(30)').then(
          () => null,
          (e: unknown) => e,
        );
        await admin.query('SELECT pg_terminate_backend($1)', [me!.pid]);
        return running;
      })
      .then(
        (v) => v,
        (e: unknown) => e,
      );
    expect(String(failed)).toMatch(/terminat|connection/i);
    const [one] = await db.tx((q) => q.query<{ one: number }>('SELECT 1 AS one'));
    expect(one!.one).toBe(1);
  });
});
