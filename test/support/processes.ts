/**
 * Real server processes for the crash and two-process tests: `node --import tsx src/main.ts` on a
 * PostgreSQL database, its URL read from what it prints, killed with SIGKILL when a test wants a
 * crash. The operator token is fixed; the test clock is on so the test can run jobs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PROCESS_ADMIN_TOKEN = 'adm_process_test_token_0123456789';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** what it has written to stdout and stderr (the last 8 KB), for a test's failure message */
  output(): string;
  /** SIGKILL, and wait until it is gone */
  kill(): Promise<void>;
}

/** Starts one server on `databaseUrl`; resolves when it prints the URL it listens on. */
export async function startServer(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-proc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: databaseUrl,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ORDERDESK_ADMIN_TOKEN: PROCESS_ADMIN_TOKEN,
      ORDERDESK_DEMO: '0',
      ORDERDESK_TEST_CLOCK: '1',
      ORDERDESK_RATE_READS_PER_SECOND: '1000000',
      ORDERDESK_RATE_WRITES_PER_SECOND: '1000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let out = '';
  let err = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start in 30 s:\n${out}\n${err}`)),
      30_000,
    );
    child.stdout!.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-8192);
      const m = /is running at (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-8192);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    url,
    child,
    output: () => `${out}${err}`,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await gone;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON answer, read by tests field by field
  body: any;
}

/** One HTTP request to a server; throws when the connection fails (the process died). */
export async function request(
  base: string,
  method: string,
  route: string,
  opts: { auth?: string; body?: unknown; key?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.auth) headers.authorization = `Bearer ${opts.auth}`;
  if (opts.key) headers['idempotency-key'] = opts.key;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${route}`, {
    method,
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
