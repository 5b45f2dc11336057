/**
 * What a CLI command runs with: the same deps as the server (configuration from the
 * environment, the database — PostgreSQL from DATABASE_URL or the embedded PGlite in DATA_DIR —
 * migrated to the current schema, the one clock, typed ids and the sandbox gateway).
 */
import os from 'node:os';
import path from 'node:path';
import type { Deps, Logger } from '../app/deps.ts';
import { databaseTestClock, systemClock } from '../clock.ts';
import { loadConfig } from '../config.ts';
import { type Db, openDb } from '../db/client.ts';
import { lockDataDir } from '../db/data-dir-lock.ts';
import { migrate } from '../db/migrate.ts';
import { fileMailTransport } from '../gateways/file-mail.ts';
import { builtinProvisioner } from '../gateways/provisioner.ts';
import { sandboxGateway } from '../gateways/sandbox-gateway.ts';
import { ulidIds } from '../ids.ts';

export interface CliContext {
  deps: Deps;
  /** the operator as ledger memos and logs name them: cli:<os user> */
  operator: string;
  /** migration versions applied while opening */
  applied: number[];
  close(): Promise<void>;
}

/** Warnings and errors go to stderr as JSON lines; stdout is the command's answer only. */
function stderrLogger(): Logger {
  const write = (level: string) => (obj: object, msg?: string) =>
    process.stderr.write(`${JSON.stringify({ level, ...obj, ...(msg ? { msg } : {}) })}\n`);
  return { info() {}, warn: write('warn'), error: write('error') };
}

function operatorName(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}

export async function openContext(env: Record<string, string | undefined>): Promise<CliContext> {
  const config = loadConfig(env);
  const release = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  let db: Db | undefined;
  try {
    db = await openDb({
      ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
      ...(config.databaseReadUrl ? { databaseReadUrl: config.databaseReadUrl } : {}),
      dataDir: path.join(config.dataDir, 'pglite'),
      poolSize: 2,
      preparedStatements: config.databasePreparedStatements,
    });
    const applied = await migrate(db);
    const clock = config.testClock ? await databaseTestClock(db) : systemClock;
    const opened = db;
    const deps: Deps = {
      db: opened,
      clock,
      ids: ulidIds(),
      gateway: sandboxGateway(opened),
      provisioner: builtinProvisioner(config),
      mail: fileMailTransport(path.join(config.dataDir, 'mail'), config.mailFrom),
      config,
      log: stderrLogger(),
    };
    return {
      deps,
      operator: operatorName(),
      applied,
      async close() {
        try {
          await opened.close();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    await db?.close().catch(() => {});
    release();
    throw e;
  }
}
