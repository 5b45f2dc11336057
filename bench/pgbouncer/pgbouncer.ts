/**
 * PgBouncer for the tests and the benchmarks: Debian's `pgbouncer` started as a child process on
 * a free loopback port, with a generated ini in a temp dir, in transaction pooling in front of one
 * database (auth_type trust, an auth_file listing the URL's user). Also the child-process helper
 * both use: spawn, wait for a line, stop.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The pgbouncer binary (Debian puts it in /usr/sbin, often not on a user's PATH), or null. */
export function findPgbouncer(): string | null {
  for (const p of ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer']) {
    if (fs.existsSync(p)) return p;
  }
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** "PgBouncer 1.18.0", or null when it is not installed. */
export function pgbouncerVersion(): string | null {
  const bin = findPgbouncer();
  if (!bin) return null;
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface Child {
  child: ChildProcess;
  /** everything it wrote so far (stdout and stderr) */
  output(): string;
  stop(): Promise<void>;
}

/** Spawns `cmd` and resolves once its output matches `ready` (or rejects when it exits first). */
export async function startChild(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  what: string,
): Promise<Child & { match: RegExpExecArray }> {
  const child = spawn(cmd, args, { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start in 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${child.exitCode}) before it started:\n${out}`));
    });
  });
  return {
    child,
    match,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export interface Pgbouncer extends Child {
  port: number;
  /** `databaseUrl` with its host and port replaced by PgBouncer's */
  url: string;
}

/**
 * A PgBouncer in transaction pooling in front of the database of `databaseUrl` (a direct URL on
 * loopback), with `poolSize` server connections; `stop()` ends it and removes its temp dir.
 */
export async function startPgbouncer(databaseUrl: string, poolSize: number): Promise<Pgbouncer> {
  const bin = findPgbouncer();
  if (!bin)
    throw new Error('pgbouncer is not installed (apt-get install -y --no-install-recommends pgbouncer)');
  const base = new URL(databaseUrl);
  const dbName = decodeURIComponent(base.pathname.slice(1));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-pgbouncer-'));
  const port = await freePort();
  const user = decodeURIComponent(base.username || 'postgres');
  fs.writeFileSync(path.join(dir, 'userlist.txt'), `"${user}" ""\n`);
  fs.writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `${dbName} = host=${base.hostname} port=${base.port || '5432'} dbname=${dbName}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      `default_pool_size = ${poolSize}`,
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; as root, it drops to the postgres user (-u)
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    fs.chmodSync(dir, 0o755);
    for (const f of ['userlist.txt', 'pgbouncer.ini']) fs.chmodSync(path.join(dir, f), 0o644);
  }
  const args = [...(asRoot ? ['-u', 'postgres'] : []), path.join(dir, 'pgbouncer.ini')];
  let c: Child;
  try {
    c = await startChild(bin, args, process.env, /listening on 127\.0\.0\.1:\d+/, 'pgbouncer');
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    ...c,
    port,
    url: url.toString(),
    async stop() {
      await c.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
