/**
 * A database of its own for CLI tests: a temporary PGlite DATA_DIR seeded with the migrated test
 * template, or a fresh PostgreSQL database when DATABASE_URL is set; and the CLI run in this process.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../src/cli/main.ts';
import { openPglite } from '../../src/db/client.ts';
import { freshDb, TEMPLATE_DUMP, type TestDb } from './test-db.ts';

export interface CliEnv {
  /** the temporary DATA_DIR (PGlite's database lives in its pglite/ folder) */
  dataDir: string;
  /** the environment the CLI runs with */
  env: Record<string, string | undefined>;
  /** the PostgreSQL database, or null on PGlite */
  pg: TestDb | null;
  close(): Promise<void>;
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A new CLI environment; `prefix` names its temporary folder. */
export async function cliEnv(prefix: string): Promise<CliEnv> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATA_DIR: dataDir,
    ORDERDESK_TEST_CLOCK: '',
    LOG_LEVEL: 'silent',
  };
  let pg: TestDb | null = null;
  if (process.env.DATABASE_URL) {
    pg = await freshDb();
    env.DATABASE_URL = pg.url!;
  } else {
    delete env.DATABASE_URL;
    // a migrated copy of the test template: a child process then skips initdb (≈3 s, 800 MB)
    const seed = await openPglite(path.join(dataDir, 'pglite'), new Blob([fs.readFileSync(TEMPLATE_DUMP)]));
    await seed.close();
  }
  return {
    dataDir,
    env,
    pg,
    async close() {
      await pg?.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `orderdesk …` in this process (cheaper than a child), capturing its output. */
export async function runCli(
  env: Record<string, string | undefined>,
  args: string[],
  opts: { outTty?: boolean } = {},
): Promise<Ran> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    env,
    out: (t) => {
      stdout += t;
    },
    err: (t) => {
      stderr += t;
    },
    ...opts,
  });
  return { code, stdout, stderr };
}
