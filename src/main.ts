/**
 * `npm start`: configuration → database (embedded PGlite in DATA_DIR, or PostgreSQL) →
 * migrations → bootstrap admin token and demo data → HTTP server and worker in one process.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { randomToken } from './app/access/secrets.ts';
import type { Deps } from './app/deps.ts';
import { databaseTestClock, systemClock } from './clock.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { openDb } from './db/client.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { migrate } from './db/migrate.ts';
import { loadDemo } from './demo.ts';
import { fileMailTransport } from './gateways/file-mail.ts';
import { builtinProvisioner } from './gateways/provisioner.ts';
import { sandboxGateway } from './gateways/sandbox-gateway.ts';
import { smtpMailTransport } from './gateways/smtp-mail.ts';
import { buildApp } from './http/app.ts';
import { ulidIds } from './ids.ts';
import { advanceAndRun } from './jobs/advance-clock.ts';
import { jobKinds } from './jobs/kinds.ts';
import { schedulePeriodic, startWorker } from './jobs/worker.ts';

/** The bootstrap admin token: from configuration, else generated once and kept in DATA_DIR. */
function adminToken(config: Config): { token: string; generated: boolean } {
  if (config.adminToken) return { token: config.adminToken, generated: false };
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) return { token: fs.readFileSync(file, 'utf8').trim(), generated: false };
  const token = `adm_${randomToken(40)}`;
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true };
}

export async function start(env: Record<string, string | undefined> = process.env) {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel });
  const admin = adminToken(config);
  const withToken: Config = { ...config, adminToken: admin.token };
  // embedded PGlite belongs to one process: refuse to open a data folder another process holds
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  const db = await openDb({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    dataDir: path.join(config.dataDir, 'pglite'),
  });
  const applied = await migrate(db);
  if (applied.length) log.info({ applied }, 'migrations applied');
  const clock = config.testClock ? await databaseTestClock(db) : systemClock;
  const deps: Deps = {
    db,
    clock,
    ids: ulidIds(),
    gateway: sandboxGateway(db),
    provisioner: builtinProvisioner(config),
    mail: config.smtpUrl
      ? smtpMailTransport(config.smtpUrl, config.mailFrom)
      : fileMailTransport(path.join(config.dataDir, 'mail'), config.mailFrom),
    config: withToken,
    log,
  };
  const demo = config.demo ? await loadDemo(deps) : null;

  const app = await buildApp(deps, {
    loggerInstance: log,
    advanceClock: (clock, seconds) => advanceAndRun(deps, clock, seconds),
  });
  await schedulePeriodic(deps, jobKinds);
  const worker = startWorker(deps, jobKinds);
  const address = await app.listen({ port: config.port, host: '0.0.0.0' });
  const port = new URL(address.replace('0.0.0.0', 'localhost')).port;
  const url = `http://localhost:${port}`;

  const lines = [
    '',
    `orderdesk is running at ${url}  (API docs: ${url}/docs)`,
    `database: ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${path.join(config.dataDir, 'pglite')}`}`,
    `admin token${admin.generated ? ' (generated, kept in DATA_DIR/admin-token)' : ''}: ${admin.token}`,
  ];
  if (demo) {
    lines.push(
      `demo account: ${demo.email} / ${demo.password}  (balance ${demo.balanceUsd} USD, KYC approved)`,
      `demo API key: ${demo.apiKey}`,
      `try: curl -X POST -H "Authorization: Bearer ${demo.apiKey}" -H "Content-Type: application/json" -d '{"product":"residential","gb":50}' ${url}/v1/orders`,
    );
  }
  if (config.testClock)
    lines.push('test clock: frozen; move it with POST /admin/v1/clock/advance {"seconds": N}');
  process.stdout.write(`${lines.join('\n')}\n\n`);

  const shutdown = async () => {
    await app.close();
    await worker.stop();
    await deps.mail.close?.();
    await db.close();
    unlock();
  };
  return { app, deps, url, shutdown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  start().then(
    (s) => {
      const stop = () => {
        s.shutdown().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
    (e) => {
      if (e instanceof ConfigError) {
        process.stderr.write(`configuration error: ${e.message}\n`);
        process.exit(1);
      }
      process.stderr.write(
        `orderdesk failed to start: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exit(1);
    },
  );
}
