/**
 * Throw-away PostgreSQL clusters for the replica and failover test: a primary made with `initdb`
 * and a streaming standby made with `pg_basebackup -R`, each in a temp folder on its own loopback
 * port, run with Debian's server binaries (PG_BIN, /usr/lib/postgresql/15/bin by default). The
 * server refuses to run as root, so as root every binary runs as the `postgres` user. Never the
 * machine's own cluster on 5432.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

/** null when every binary the test needs is there, else what is missing */
export function missingPgBinaries(): string | null {
  const missing = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'].filter(
    (b) => !fs.existsSync(path.join(PG_BIN, b)),
  );
  if (missing.length) return `${missing.join(', ')} not found in ${PG_BIN} (set PG_BIN)`;
  if (asRoot && !fs.existsSync('/usr/sbin/runuser')) return 'running as root without runuser';
  return null;
}

/** Runs a server binary (as `postgres` when this process is root), asynchronously: the test's own
 * event loop keeps serving its proxy meanwhile. */
function run(bin: string, args: string[]): Promise<string> {
  const file = asRoot ? '/usr/sbin/runuser' : path.join(PG_BIN, bin);
  const argv = asRoot ? ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args] : args;
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 60_000 }, (e, stdout, stderr) => {
      if (e) reject(new Error(`${bin} ${args.join(' ')} failed: ${e.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  dir: string;
  port: number;
  url(database: string): string;
  start(): Promise<void>;
  /** `immediate`: the server processes quit without a checkpoint, as in a crash */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** standby → primary (`pg_ctl promote`, waits until it accepts writes) */
  promote(): Promise<void>;
}

/** A temp folder the server user owns; remove it with removeClusterRoot. */
export function makeClusterRoot(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-pgcluster-'));
  if (asRoot) {
    const { uid, gid } = userIds('postgres');
    fs.chownSync(root, uid, gid);
  }
  return root;
}

function userIds(name: string): { uid: number; gid: number } {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no ${name} user`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

export function removeClusterRoot(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}

function cluster(root: string, name: string, port: number): Cluster {
  const dir = path.join(root, name);
  const log = path.join(root, `${name}.log`);
  return {
    dir,
    port,
    url: (database) => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await run('pg_ctl', ['-D', dir, '-l', log, '-w', '-t', '60', 'start']);
    },
    async stop(mode = 'fast') {
      await run('pg_ctl', ['-D', dir, '-m', mode, '-w', '-t', '60', 'stop']);
    },
    async promote() {
      await run('pg_ctl', ['-D', dir, '-w', '-t', '60', 'promote']);
    },
  };
}

/** Settings written to a cluster's postgresql.auto.conf (it wins over postgresql.conf). */
function appendSettings(dir: string, settings: Record<string, string>): void {
  const lines = Object.entries(settings).map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'\n`);
  fs.appendFileSync(path.join(dir, 'postgresql.auto.conf'), lines.join(''));
}

/**
 * A primary on `port` that streams to standbys (trust on loopback, replication included);
 * `settings` are added to its configuration. Not started.
 */
export async function initPrimary(
  root: string,
  port: number,
  settings: Record<string, string>,
): Promise<Cluster> {
  const c = cluster(root, 'primary', port);
  await run('initdb', ['-D', c.dir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']);
  fs.appendFileSync(path.join(c.dir, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
  appendSettings(c.dir, {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: root,
    wal_level: 'replica',
    max_wal_senders: '5',
    shared_buffers: '32MB',
    ...settings,
  });
  return c;
}

/**
 * A hot standby of the running `primary` (`pg_basebackup -R`: standby.signal and
 * primary_conninfo) on `port`, streaming as `applicationName`; `settings` are added. Not started.
 */
export async function baseBackupStandby(
  root: string,
  primary: Cluster,
  port: number,
  applicationName: string,
  settings: Record<string, string>,
): Promise<Cluster> {
  const c = cluster(root, 'standby', port);
  await run('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    c.dir,
    '-R',
    '-X',
    'stream',
    '--no-sync',
  ]);
  appendSettings(c.dir, {
    port: String(port),
    primary_conninfo: `host=127.0.0.1 port=${primary.port} user=postgres application_name=${applicationName}`,
    hot_standby: 'on',
    ...settings,
  });
  return c;
}
