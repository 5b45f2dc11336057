/**
 * `npm start`: configuration → database (embedded PGlite in DATA_DIR, or PostgreSQL) →
 * migrations → bootstrap admin token and demo data → HTTP server and worker in one process.
 * ORDERDESK_ROLE splits them for a deployment: `api` serves HTTP (API and console) and runs no
 * jobs, `worker` runs the jobs and serves no HTTP; any number of each share one PostgreSQL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { randomToken } from './app/access/secrets.ts';
import { ensureSharedBootstrapToken } from './app/access/shared-bootstrap-token.ts';
import type { Deps } from './app/deps.ts';
import { databaseTestClock, systemClock } from './clock.ts';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { openDb } from './db/client.ts';
import { lockDataDir } from './db/data-dir-lock.ts';
import { migrate } from './db/migrate.ts';
import { fileMailTransport } from './gateways/file-mail.ts';
import { builtinProvisioner } from './gateways/provisioner.ts';
import { sandboxGateway } from './gateways/sandbox-gateway.ts';
import { smtpMailTransport } from './gateways/smtp-mail.ts';
import { ulidIds } from './ids.ts';
import { seedFromTemplate } from './pglite-template.ts';

/**
 * The HTTP app (Fastify, every route and schema), the jobs and the demo: imported while the
 * database opens (in the compiled server, scripts/build-server.mjs, their modules are initialised
 * then), after a turn of the event loop so that PGlite's open has started first and its waits for
 * files and WebAssembly compilation are spent loading them (bench/startup).
 */
function loadServerModules() {
  return new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
    Promise.all([
      import('./http/app.ts'),
      import('./jobs/advance-clock.ts'),
      import('./jobs/kinds.ts'),
      import('./jobs/worker.ts'),
      import('./demo.ts'),
    ]).then(([app, advanceClock, kinds, worker, demo]) => ({
      buildApp: app.buildApp,
      advanceAndRun: advanceClock.advanceAndRun,
      jobKinds: kinds.jobKinds,
      schedulePeriodic: worker.schedulePeriodic,
      startWorker: worker.startWorker,
      loadDemo: demo.loadDemo,
    })),
  );
}

/** The jobs only (ORDERDESK_ROLE=worker). */
async function loadJobModules() {
  const [kinds, worker] = await Promise.all([import('./jobs/kinds.ts'), import('./jobs/worker.ts')]);
  return {
    jobKinds: kinds.jobKinds,
    schedulePeriodic: worker.schedulePeriodic,
    startWorker: worker.startWorker,
  };
}

/**
 * The bootstrap admin token: from configuration; else, on the embedded database, generated once
 * and kept in DATA_DIR; on PostgreSQL it lives in the database, shared by every host
 * (app/access/shared-bootstrap-token.ts, after the migrations): null here.
 */
function adminToken(config: Config): { token: string | null; generated: boolean; where: string } {
  if (config.adminToken)
    return { token: config.adminToken, generated: false, where: 'from ORDERDESK_ADMIN_TOKEN' };
  if (config.databaseUrl) return { token: null, generated: false, where: 'kept in the database' };
  const file = path.join(config.dataDir, 'admin-token');
  if (fs.existsSync(file)) {
    return {
      token: fs.readFileSync(file, 'utf8').trim(),
      generated: false,
      where: 'in DATA_DIR/admin-token',
    };
  }
  const token = `adm_${randomToken(40)}`;
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, generated: true, where: 'generated, kept in DATA_DIR/admin-token' };
}

/**
 * ORDERDESK_START_TIMING=1: one stderr line per start-up phase, in ms since the process began
 * (performance.now()), for bench/startup.
 */
function startTimer(env: Record<string, string | undefined>): (phase: string) => void {
  if (!env.ORDERDESK_START_TIMING) return () => {};
  return (phase) => process.stderr.write(`start-timing ${phase} ${performance.now().toFixed(0)}\n`);
}

/** The port the server listens on (PORT=0 picks one). */
function listeningPort(app: { server: { address(): unknown } }): number {
  const a = app.server.address();
  return a && typeof a === 'object' && 'port' in a ? Number(a.port) : 0;
}

/** The URL to print: a wildcard address is reached as localhost; an IPv6 literal goes in brackets. */
export function displayUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${h}:${port}`;
}

/** What every role opens first: configuration, log, database (migrated), clock, gateways. */
async function open(env: Record<string, string | undefined>) {
  const mark = startTimer(env);
  mark('modules');
  const config = loadConfig(env);
  if (config.role !== 'all' && !config.databaseUrl) {
    throw new ConfigError(
      `ORDERDESK_ROLE=${config.role} needs DATABASE_URL: the embedded database belongs to one process, which runs everything`,
    );
  }
  const log = pino({ level: config.logLevel });
  const admin = adminToken(config);
  const withToken: Config = { ...config, adminToken: admin.token ?? undefined };
  // embedded PGlite belongs to one process: refuse to open a data folder another process holds
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  // a fresh embedded database starts as a copy of a migrated template (src/pglite-template.ts)
  if (!config.databaseUrl && (await seedFromTemplate(path.join(config.dataDir, 'pglite')))) mark('template');
  const db = await openDb({
    ...(config.databaseUrl ? { databaseUrl: config.databaseUrl } : {}),
    ...(config.databaseReadUrl ? { databaseReadUrl: config.databaseReadUrl } : {}),
    dataDir: path.join(config.dataDir, 'pglite'),
    poolSize: config.databasePoolSize,
    preparedStatements: config.databasePreparedStatements,
  });
  mark('db-open');
  const applied = await migrate(db);
  mark('migrations');
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
  if (config.databaseUrl && !config.adminToken) {
    const made = await ensureSharedBootstrapToken(deps);
    if (made)
      Object.assign(admin, { token: made, generated: true, where: 'generated, kept in the database' });
  }
  return { config, log, admin, unlock, db, deps };
}

export async function start(env: Record<string, string | undefined> = process.env) {
  if (loadConfig(env).role === 'worker') {
    throw new ConfigError('ORDERDESK_ROLE=worker serves no HTTP: start it with startWorkerProcess');
  }
  const modules = loadServerModules();
  // (a failed open leaves the import to finish on its own: no unhandled rejection from it)
  modules.catch(() => {});
  const { config, log, admin, unlock, db, deps } = await open(env);
  const mark = startTimer(env);
  const { buildApp, advanceAndRun, jobKinds, schedulePeriodic, startWorker, loadDemo } = await modules.catch(
    async (e) => {
      await db.close();
      unlock();
      throw e;
    },
  );
  mark('server-modules');
  const app = await buildApp(deps, {
    loggerInstance: log,
    advanceClock: (clock, seconds) => advanceAndRun(deps, clock, seconds),
  });
  mark('app');
  await app.listen({ port: config.port, host: config.host });
  mark('listen');
  const url = displayUrl(config.host, listeningPort(app));
  // the CLI finds this server for its DATA_DIR and talks to its admin API (src/cli/remote.ts)
  const serverFile = config.databaseUrl ? null : path.join(config.dataDir, 'server.json');
  if (serverFile) fs.writeFileSync(serverFile, `${JSON.stringify({ url, pid: process.pid })}\n`);
  let worker: { stop(): Promise<void> } | null = null;
  const shutdown = async () => {
    if (serverFile) fs.rmSync(serverFile, { force: true });
    await app.close();
    await worker?.stop();
    await deps.mail.close?.();
    await db.close();
    unlock();
  };
  // once the server answers (no request waits for them; start() and the banner do, bench/startup):
  // the periodic jobs and the worker, then the demo (an argon2 hash, a few hundred IPs)
  const demo = await (async () => {
    if (config.role === 'all') {
      await schedulePeriodic(deps, jobKinds);
      worker = startWorker(deps, jobKinds);
    }
    return config.demo ? await loadDemo(deps) : null;
  })().catch(async (e) => {
    await shutdown();
    throw e;
  });
  mark('demo');

  const lines = [
    '',
    `orderdesk ${config.role === 'api' ? 'API (no workers: run ORDERDESK_ROLE=worker beside it) ' : ''}is running at ${url}  (API docs: ${url}/docs)`,
    `database: ${config.databaseUrl ? 'PostgreSQL' : `embedded PGlite in ${path.join(config.dataDir, 'pglite')}`}`,
    // a token given by the operator (environment) or kept from an earlier start is never printed again
    admin.generated
      ? `admin token (${admin.where}): ${admin.token}`
      : `admin token: ${admin.where} (not shown)`,
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

  return { app, deps, url, shutdown };
}

/** ORDERDESK_ROLE=worker: the jobs only (periodic and one-off), no HTTP server. */
export async function startWorkerProcess(env: Record<string, string | undefined> = process.env) {
  const modules = loadJobModules();
  modules.catch(() => {});
  const { deps, unlock } = await open(env);
  const { jobKinds, schedulePeriodic, startWorker } = await modules;
  await schedulePeriodic(deps, jobKinds);
  const worker = startWorker(deps, jobKinds);
  process.stdout.write('\norderdesk worker is running (jobs only, no HTTP)\n\n');
  const shutdown = async () => {
    await worker.stop();
    await deps.mail.close?.();
    await deps.db.close();
    unlock();
  };
  return { deps, shutdown };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const worker = process.env.ORDERDESK_ROLE === 'worker';
  (worker ? startWorkerProcess() : start()).then(
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
