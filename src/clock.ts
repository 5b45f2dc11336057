/**
 * One clock, injected everywhere. The system clock reads wall time; the test clock's time lives
 * in the database (table test_clock) so that every process sees the same time, and only
 * `advance` moves it (SPEC §12, ORDERDESK_TEST_CLOCK=1).
 */
import type { Sql } from './db/client.ts';

export interface Clock {
  now(): Promise<Date>;
  readonly frozen: boolean;
}

export const systemClock: Clock = { now: async () => new Date(), frozen: false };

export interface TestClock extends Clock {
  advance(seconds: number): Promise<Date>;
}

export async function databaseTestClock(db: Sql, start = new Date()): Promise<TestClock> {
  await db.query('INSERT INTO test_clock (id, now) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [start]);
  const read = async () => {
    const [row] = await db.query<{ now: Date }>('SELECT now FROM test_clock WHERE id = 1');
    return row!.now;
  };
  return {
    frozen: true,
    now: read,
    async advance(seconds: number) {
      const [row] = await db.query<{ now: Date }>(
        `UPDATE test_clock SET now = now + make_interval(secs => $1) WHERE id = 1 RETURNING now`,
        [seconds],
      );
      return row!.now;
    },
  };
}
