/**
 * What the benchmarks share: database URLs and one-off statements on the server, the machine
 * and commit a figure was measured on, how busy the CPUs are (other work skews every figure),
 * percentiles, and a JSON call to the API.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BENCHMARKS_MD = path.join(ROOT, 'bench', 'BENCHMARKS.md');

/** `base` with its database name replaced by `name`. */
export function dbUrl(base: string, name: string): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Runs statements one by one on their own connection (CREATE/DROP DATABASE and the like). */
export async function onServer(base: string, ...statements: string[]): Promise<void> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  postgres: string;
  commit: string;
}

/** The short commit, `+dirty` when src/ has uncommitted changes. */
export function commitOf(): string {
  try {
    let commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (dirty.trim()) commit += '+dirty';
    return commit;
  } catch {
    return 'unknown'; // not a git checkout
  }
}

/** This machine, the PostgreSQL server at `pgUrl` and the commit measured. */
export async function machine(pgUrl: string): Promise<Machine> {
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  const v = await c.query<{ server_version: string }>('SHOW server_version');
  await c.end();
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: v.rows[0]!.server_version.split(' ')[0]!,
    commit: commitOf(),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time of all CPUs since boot: busy and total, in ms. */
export function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/** Share of all CPUs busy over `ms`, in percent. */
export async function cpuBusy(ms = 2000): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  return b.total > a.total ? (100 * (b.busy - a.busy)) / (b.total - a.total) : 0;
}

/** Waits (up to `seconds`) until other processes use less than `below` % of the CPUs; returns the last share. */
export async function waitQuiet(seconds: number, log: (s: string) => void, below = 15): Promise<number> {
  const until = Date.now() + seconds * 1000;
  let busy = await cpuBusy();
  while (busy >= below && Date.now() < until) {
    log(`machine busy (${busy.toFixed(0)}% CPU used by other processes), waiting…`);
    await sleep(8000);
    busy = await cpuBusy();
  }
  return busy;
}

/** The p-th percentile (nearest rank) of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

/** One call to the API with a bearer token: the status and the body as text. */
export async function callApi(
  url: string,
  token: string,
  method: 'GET' | 'POST',
  p: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${p}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, text: await res.text() };
}

/** `--name value` from the command line, if given. */
export function cliArg(name: string, argv: readonly string[] = process.argv.slice(2)): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * Puts `section` (which starts with `<!-- bench:NAME:start -->` and ends with its `:end` mark) in
 * bench/BENCHMARKS.md: in place of the section between the same marks, or at the end.
 */
export function writeBenchSection(name: string, section: string): void {
  const [start, end] = [`<!-- bench:${name}:start -->`, `<!-- bench:${name}:end -->`];
  const md = fs.readFileSync(BENCHMARKS_MD, 'utf8');
  const a = md.indexOf(start);
  const b = md.indexOf(end);
  fs.writeFileSync(
    BENCHMARKS_MD,
    a >= 0 && b > a ? md.slice(0, a) + section + md.slice(b + end.length) : `${md.trimEnd()}\n\n${section}\n`,
  );
}

/** Adds `row` to the history table of section `name`, above its `<!-- bench:<name>:history:end -->` marker. */
export function appendBenchHistory(name: string, row: string): void {
  const end = `<!-- bench:${name}:history:end -->`;
  const md = fs.readFileSync(BENCHMARKS_MD, 'utf8');
  if (!md.includes(end)) throw new Error(`${BENCHMARKS_MD} lacks the ${end} marker`);
  fs.writeFileSync(BENCHMARKS_MD, md.replace(end, `${row}\n${end}`));
}
