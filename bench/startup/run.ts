/**
 * bench:startup — how long `npm start` takes to answer `GET /healthz`, on a fresh DATA_DIR and
 * again on the same one (a restart), next to a bare PGlite open of the same data folder.
 *
 *   npm run bench:startup                 # run, print the table and the breakdown
 *   npm run bench:startup -- --write      # … and record it in bench/BENCHMARKS.md
 *
 * Options: --rounds 5, --entry bundle|tsx|<file> (bundle: what `npm start` runs, the compiled
 * node_modules/.cache/orderdesk/server/main.mjs; tsx: `node --import tsx src/main.ts`, as before;
 * a file: another build of the server, e.g. an older commit's, for a comparison on the same machine),
 * --note "<what changed>" (history row), --wait-quiet <s> (first wait up to s seconds for idle CPUs).
 *
 * First the prestart steps that `npm start` runs (compile the server, build the migrated PGlite
 * template when missing), timed apart: they run once per change, not per start. Then each round:
 * a new temporary DATA_DIR; spawn the server with PORT=0 (embedded PGlite, demo on as by default)
 * and time from spawn to the first 200 of /healthz (its address from DATA_DIR/server.json,
 * polled every 5 ms); SIGTERM; the same again on the same DATA_DIR (restart); then a child process
 * that only opens PGlite on that data folder (`new PGlite(dir, …)` with the server's start
 * parameters, `waitReady`, `select 1`), the same with PGlite's default settings, and one that
 * creates a PGlite database in an empty folder (initdb: what a fresh start without the
 * template pays). Medians over the rounds. The breakdown comes from ORDERDESK_START_TIMING=1
 * (one stderr line per phase, ms since the process began). Beside the wall times, the CPU the
 * server's main thread (and the whole process) had used at the first 200, and the bare open's main
 * thread, from /proc: steadier than wall time when other work shares the machine.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGLITE_SHARED_BUFFERS, pgliteStartParams } from '../../src/db/client.ts';
import {
  appendBenchHistory,
  cliArg,
  commitOf,
  percentile,
  ROOT,
  sleep,
  waitQuiet,
  writeBenchSection,
} from '../support.ts';

const rounds = Number(cliArg('rounds') ?? 5);
const entryMode = cliArg('entry') ?? 'bundle';
const note = cliArg('note') ?? '';
const write = process.argv.includes('--write');
const BUNDLE = path.join(ROOT, 'node_modules', '.cache', 'orderdesk', 'server');
const entryArgs =
  entryMode === 'tsx'
    ? ['--import', 'tsx', 'src/main.ts']
    : [entryMode === 'bundle' ? path.join(BUNDLE, 'main.mjs') : path.resolve(entryMode)];

const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const fmt = (ms: number) => `${Math.round(ms).toLocaleString('en-US')} ms`;

/** Runs a prestart step; its wall time. */
function step(args: string[]): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return { ms: performance.now() - t0, stdout: r.stdout };
}

interface Start {
  /** spawn → first 200 of /healthz */
  healthzMs: number;
  /** CPU time of the server's main thread and of the whole process at that moment (Linux /proc; else NaN) */
  mainCpuMs: number;
  cpuMs: number;
  /** spawn → the banner (printed once the demo is loaded) */
  bannerMs: number;
  /** phase → ms since the process began */
  phases: Record<string, number>;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await gone;
}

/**
 * CPU used so far by a process's main thread and by all its threads (utime + stime from /proc, in
 * clock ticks of 10 ms): on a shared machine the main thread's CPU is the steadier figure, since
 * the wall time also counts the waits for a core that others hold.
 */
function cpuOf(pid: number): { mainCpuMs: number; cpuMs: number } {
  const ticks = (file: string) => {
    const f = fs.readFileSync(file, 'utf8');
    const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  try {
    return { mainCpuMs: ticks(`/proc/${pid}/task/${pid}/stat`), cpuMs: ticks(`/proc/${pid}/stat`) };
  } catch {
    return { mainCpuMs: Number.NaN, cpuMs: Number.NaN };
  }
}

/** Starts the server on `dataDir`, waits for /healthz and the banner, stops it. */
async function startOnce(dataDir: string): Promise<Start> {
  const serverFile = path.join(dataDir, 'server.json');
  fs.rmSync(serverFile, { force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ORDERDESK_START_TIMING: '1',
  };
  delete env.DATABASE_URL;
  const t0 = performance.now();
  const child = spawn(process.execPath, entryArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let bannerMs = 0;
  child.stdout!.on('data', (d) => {
    out += String(d);
    if (!bannerMs && out.includes('is running at')) bannerMs = performance.now() - t0;
  });
  child.stderr!.on('data', (d) => {
    err += String(d);
  });
  try {
    let healthzMs = 0;
    let cpu = { mainCpuMs: Number.NaN, cpuMs: Number.NaN };
    while (!healthzMs) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${out}\n${err}`);
      if (performance.now() - t0 > 120_000) throw new Error(`no /healthz in 120 s:\n${out}\n${err}`);
      if (fs.existsSync(serverFile)) {
        try {
          const { url } = JSON.parse(fs.readFileSync(serverFile, 'utf8')) as { url: string };
          const r = await fetch(`${url}/healthz`);
          if (r.status === 200) {
            healthzMs = performance.now() - t0;
            cpu = cpuOf(child.pid!);
          }
        } catch {
          // not written completely or not answering yet
        }
      }
      if (!healthzMs) await sleep(5);
    }
    while (!bannerMs) {
      if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode}):\n${out}\n${err}`);
      await sleep(5);
    }
    const phases: Record<string, number> = {};
    for (const m of err.matchAll(/^start-timing (\S+) (\d+)$/gm)) phases[m[1]!] = Number(m[2]);
    return { healthzMs, bannerMs, phases, ...cpu };
  } finally {
    await stop(child);
  }
}

/**
 * A child process that only opens PGlite on `dir`; its wall time and the open inside it. `server`:
 * with the start parameters the server opens it with (db/client.ts: the smaller buffer cache);
 * `defaults`: PGlite's own (shared_buffers 128MB, as initdb wrote it).
 */
function bareOpen(
  dir: string,
  settings: 'server' | 'defaults' = 'server',
): { wallMs: number; openMs: number; mainCpuMs: number } {
  const options = settings === 'server' ? `{ startParams: ${JSON.stringify(pgliteStartParams())} }` : '{}';
  const code = `import { PGlite } from '@electric-sql/pglite';
const t = performance.now();
const db = new PGlite(${JSON.stringify(dir)}, ${options});
await db.waitReady;
await db.query('select 1');
const ms = performance.now() - t;
let cpu = NaN;
try {
  const f = (await import('node:fs')).readFileSync('/proc/self/task/' + process.pid + '/stat', 'utf8');
  const x = f.slice(f.lastIndexOf(')') + 2).split(' ');
  cpu = (Number(x[11]) + Number(x[12])) * 10;
} catch {}
await db.close();
console.log(ms.toFixed(1), cpu);`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bare PGlite open failed: ${r.stderr}`);
  const [openMs, mainCpuMs] = r.stdout.trim().split(' ').map(Number);
  return { wallMs, openMs: openMs!, mainCpuMs: mainCpuMs! };
}

/** Phase durations (ms) from the marks: each phase is its mark minus the previous one. */
const PHASES: [string, string][] = [
  ['modules', 'node + loading the start modules (config, database client, log)'],
  ['template', 'copying the migrated template (fresh only)'],
  ['db-open', 'opening PGlite (the HTTP app’s modules load meanwhile)'],
  ['migrations', 'migrations (checking; none to run)'],
  ['server-modules', 'the rest of the HTTP app’s modules, when the open finished first'],
  ['app', 'buildApp (Fastify: plugins, routes)'],
  ['listen', 'listen'],
  ['demo', 'jobs scheduled, worker, demo data (after listen; the banner waits for them)'],
];

const cpuText = (starts: Start[]) =>
  `${fmt(median(starts.map((s) => s.mainCpuMs)))} / ${fmt(median(starts.map((s) => s.cpuMs)))}`;

function breakdown(starts: Start[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name] of PHASES) {
    const ds = starts
      .map((s) => {
        if (s.phases[name] === undefined) return null;
        const i = PHASES.findIndex(([n]) => n === name);
        const prev = PHASES.slice(0, i)
          .reverse()
          .find(([n]) => s.phases[n] !== undefined);
        return s.phases[name]! - (prev ? s.phases[prev[0]]! : 0);
      })
      .filter((d): d is number => d !== null);
    if (ds.length) out.set(name, median(ds));
  }
  return out;
}

async function main() {
  const busyBefore = await waitQuiet(Number(cliArg('wait-quiet') ?? 0), (l) =>
    process.stderr.write(`${l}\n`),
  );
  const build = step(['scripts/build-server.mjs']);
  // the template is shared by every start in this checkout: built here only when missing
  const template = step([path.join(BUNDLE, 'build-pglite-template.mjs')]);
  const templateBuilt = template.stdout.includes('built in');
  const nodeMs = median(
    Array.from({ length: 3 }, () => {
      const t0 = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      return performance.now() - t0;
    }),
  );

  const fresh: Start[] = [];
  const restart: Start[] = [];
  const bare: ReturnType<typeof bareOpen>[] = [];
  const bareDefaults: ReturnType<typeof bareOpen>[] = [];
  const bareInit: ReturnType<typeof bareOpen>[] = [];
  for (let i = 0; i < rounds; i++) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-bench-startup-'));
    try {
      fresh.push(await startOnce(dataDir));
      restart.push(await startOnce(dataDir));
      bare.push(bareOpen(path.join(dataDir, 'pglite')));
      bareDefaults.push(bareOpen(path.join(dataDir, 'pglite'), 'defaults'));
      bareInit.push(bareOpen(path.join(dataDir, 'empty')));
      process.stderr.write(
        `round ${i + 1}: fresh ${fmt(fresh.at(-1)!.healthzMs)}, restart ${fmt(restart.at(-1)!.healthzMs)} (main thread CPU ${fmt(restart.at(-1)!.mainCpuMs)}), bare open ${fmt(bare.at(-1)!.wallMs)}, bare initdb ${fmt(bareInit.at(-1)!.wallMs)}\n`,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const m = {
    fresh: median(fresh.map((s) => s.healthzMs)),
    freshBanner: median(fresh.map((s) => s.bannerMs)),
    restart: median(restart.map((s) => s.healthzMs)),
    restartBanner: median(restart.map((s) => s.bannerMs)),
    bare: median(bare.map((b) => b.wallMs)),
    bareOpen: median(bare.map((b) => b.openMs)),
    bareCpu: median(bare.map((b) => b.mainCpuMs)),
    bareDefaults: median(bareDefaults.map((b) => b.wallMs)),
    bareDefaultsCpu: median(bareDefaults.map((b) => b.mainCpuMs)),
    bareInit: median(bareInit.map((b) => b.wallMs)),
  };
  const ok = (v: number, target: number) => (v <= target ? '✓' : '✗');
  const table = [
    '| | spawn → /healthz 200 (median) | spawn → banner | target | bare PGlite, same folder (process / open) | ÷ bare |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    `| fresh DATA_DIR | **${fmt(m.fresh)}** | ${fmt(m.freshBanner)} | ≤ 5,000 ms ${ok(m.fresh, 5000)} | ${fmt(m.bareInit)} (initdb of an empty folder) | ${(m.fresh / m.bareInit).toFixed(2)} |`,
    `| restart (same DATA_DIR) | **${fmt(m.restart)}** | ${fmt(m.restartBanner)} | ≤ 1,000 ms ${ok(m.restart, 1000)} | ${fmt(m.bare)} / ${fmt(m.bareOpen)} | ${(m.restart / m.bare).toFixed(2)} |`,
  ].join('\n');
  const bf = breakdown(fresh);
  const br = breakdown(restart);
  const parts = [
    '| phase (median, ms) | fresh | restart |',
    '| --- | ---: | ---: |',
    ...PHASES.filter(([n]) => bf.has(n) || br.has(n)).map(
      ([n, label]) =>
        `| ${label} | ${bf.has(n) ? fmt(bf.get(n)!) : '–'} | ${br.has(n) ? fmt(br.get(n)!) : '–'} |`,
    ),
    `| (\`node -e 0\` alone) | ${fmt(nodeMs)} | ${fmt(nodeMs)} |`,
    `| CPU until /healthz: main thread / whole process | ${cpuText(fresh)} | ${cpuText(restart)} |`,
    `| (bare PGlite open of the same folder: main thread CPU) | – | ${fmt(m.bareCpu)} |`,
    `| (the same bare open with PGlite's default settings, shared_buffers 128MB: process wall / main thread CPU) | – | ${fmt(m.bareDefaults)} / ${fmt(m.bareDefaultsCpu)} |`,
  ].join('\n');
  const prestart = `prestart steps, once per change: compiling the server ${fmt(build.ms)}; the migrated template ${templateBuilt ? `built in ${fmt(template.ms)}` : `already built (checked in ${fmt(template.ms)}; building it costs about the bare initdb plus the migrations)`}`;
  process.stdout.write(`${table}\n\n${parts}\n\n${prestart}\n`);

  if (write) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const commit = commitOf();
    const entryText =
      entryMode === 'tsx'
        ? '`node --import tsx src/main.ts`'
        : '`npm start`’s compiled bundle (node_modules/.cache/orderdesk/server/main.mjs)';
    const section = `<!-- bench:startup:latest:start -->
### Latest run

**What.** ${entryText} with PORT=0 on a new temporary DATA_DIR (embedded PGlite, demo data on as
by default): wall time from spawn to the first 200 of \`GET /healthz\` (polled every 5 ms), then
SIGTERM and the same on the same DATA_DIR (restart). Beside it, in a child process each: a bare
PGlite open of the same data folder (\`new PGlite(dir, …)\` with the server's start parameters,
shared_buffers=${PGLITE_SHARED_BUFFERS}; \`waitReady\`, \`select 1\`; process wall time, and the open
inside it; once more with PGlite's default settings) and a PGlite database created in an empty folder (initdb). ${rounds}
rounds, medians. Phases from ORDERDESK_START_TIMING=1 (ms since the process began, differences of
consecutive marks). Target (issue 14 item 4): fresh ≤ 5 s, restart ≤ 1 s.

Run ${when} UTC, \`npm run bench:startup -- --write${entryMode === 'tsx' ? ' --entry tsx' : ''}\`. Machine: ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model.trim()}),
${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}; commit ${commit}; other processes used ${busyBefore.toFixed(0)}% of the CPUs when it started.

${table}

${parts}

${prestart} (\`npm start\` runs them in prestart; a fresh start that finds no template builds it first).
<!-- bench:startup:latest:end -->`;
    writeBenchSection('startup:latest', section);
    appendBenchHistory(
      'startup',
      `| ${when.slice(0, 10)} | \`${commit}\` | ${os.availableParallelism()} CPU | ${entryMode} | ${fmt(m.fresh)} | ${fmt(m.restart)} | ${fmt(m.bare)} | ${(m.restart / m.bare).toFixed(2)} | ${busyBefore.toFixed(0)}% | ${note} |`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
