/**
 * `orderdesk <command>`: the operator's command line (SPEC §11). Beside a running server (with
 * ORDERDESK_URL set, or the server recorded in DATA_DIR/server.json) a command is the admin API
 * call it names; without one it opens the database itself (DATABASE_URL, or the embedded PGlite
 * in DATA_DIR) and runs the same use-case. Either way it prints the same JSON.
 *
 * Output: on a terminal, lists as a table and other answers as short lines; JSON (as the API
 * answers) with --json or when stdout is not a terminal; short lines with --text. Long work shows
 * a progress bar on a terminal (stderr). Exit codes: 0 done; 1 refused (the error on stderr) or
 * failed; 2 usage error; 130 interrupted (Ctrl-C), with what was and was not done on stderr.
 *
 * Start-up stays light: this file and the command declarations import no database and no
 * use-case; the direct mode loads them (context.ts, direct.ts) only when it runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFlags, type FlagSpec, splitArgs, UsageError } from './args.ts';
import type { Command, CommandInput } from './command.ts';
import { commands } from './commands.ts';
import type { DirectIo } from './direct.ts';
import { noProgress, progressBar, table } from './output.ts';
import { callServer, dataDirOf, findServer, type Server } from './remote.ts';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'json', boolean: true, description: 'print JSON, as the API answers (default off a terminal)' },
  { name: 'text', boolean: true, description: 'print short human-readable lines' },
  { name: 'help', boolean: true, description: 'show help' },
];

const ALL: Command[] = commands;

/**
 * The modules only the direct mode (and serve) needs, loaded when used. bin/orderdesk.js runs a
 * bundle of this file's light part and replaces `load` to import them through tsx.
 */
export const modules = {
  load: (name: 'context' | 'direct' | 'server'): Promise<unknown> =>
    name === 'context'
      ? import('./context.ts')
      : name === 'direct'
        ? import('./direct.ts')
        : import('../main.ts'),
};

export interface Io {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
  /** stdout is a terminal: tables and short lines by default */
  outTty?: boolean;
  /** stderr is a terminal: progress bars */
  errTty?: boolean;
  /** handle Ctrl-C (the real process; not in tests that run the CLI in their own process) */
  signals?: boolean;
}

function usageLine(c: Command): string {
  const flags = c.flags.map((f) => {
    const s = `--${f.name}${f.boolean ? '' : ` ${f.value ?? 'VALUE'}`}`;
    return f.required ? s : `[${s}]`;
  });
  return ['orderdesk', ...c.path, ...c.args, ...flags].join(' ');
}

export function helpText(only?: Command): string {
  if (only) {
    const lines = [`usage: ${usageLine(only)}`, '', only.summary];
    const flags = [...only.flags, ...GLOBAL_FLAGS];
    lines.push('', 'options:');
    for (const f of flags) {
      lines.push(`  --${f.name}${f.boolean ? '' : ` ${f.value ?? 'VALUE'}`}`.padEnd(28) + f.description);
    }
    if (!only.http && !only.serve)
      lines.push('', 'runs directly on the database only (not through a server)');
    return `${lines.join('\n')}\n`;
  }
  const lines = ['usage: orderdesk <command> [options]', '', 'commands:'];
  for (const c of ALL) lines.push(`  ${[...c.path, ...c.args].join(' ')}`.padEnd(42) + c.summary);
  lines.push(
    `  ${'help [COMMAND]'.padEnd(40)}this help, or a command's`,
    '',
    'output: on a terminal, tables and short lines; JSON (as the API answers) with --json or when',
    '  piped; short lines with --text. Long work shows a progress bar on a terminal.',
    'server: with ORDERDESK_URL (and ORDERDESK_ADMIN_TOKEN, or DATA_DIR/admin-token) set, or a server',
    '  running for DATA_DIR (DATA_DIR/server.json), commands go through its admin API.',
    'database (no server): DATABASE_URL (PostgreSQL) or DATA_DIR (embedded PGlite, default ./data);',
    '  a DATA_DIR without a database is an error (migrate, demo load and serve create one).',
    '  ORDERDESK_TEST_CLOCK=1 uses the shared test clock.',
    'exit codes: 0 done, 1 refused or failed (the error on stderr), 2 usage error, 130 interrupted.',
  );
  return `${lines.join('\n')}\n`;
}

/** The command named by the leading positionals: the longest path that matches. */
function findCommand(positionals: string[]): Command | undefined {
  return ALL.filter((c) => c.path.every((w, i) => positionals[i] === w)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}

async function serve(io: Io, worker = false): Promise<number> {
  const { start, startWorkerProcess } = (await modules.load('server')) as typeof import('../main.ts');
  const server = worker
    ? await startWorkerProcess({ ...io.env, ORDERDESK_ROLE: 'worker' })
    : await start(io.env);
  return new Promise((resolve) => {
    const stop = () => {
      server.shutdown().then(
        () => resolve(0),
        (e: unknown) => {
          io.err(`shutdown failed: ${e instanceof Error ? e.message : String(e)}\n`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

type Format = 'json' | 'text' | 'human';

interface Answer {
  /** the API's JSON text */
  json: string;
  /** what only the direct mode knows, added to the short lines */
  note?: string;
}

function printAnswer(io: Io, command: Command, format: Format, a: Answer): void {
  if (format === 'json') {
    io.out(`${a.json}\n`);
    return;
  }
  const json = JSON.parse(a.json);
  const text =
    format === 'human' && command.columns
      ? table(json, command.columns)
      : `${command.text(json)}${a.note ?? ''}`;
  io.out(text ? `${text}\n` : '');
}

function printError(io: Io, format: Format, e: { code: string; message: string; param?: string }): void {
  if (format === 'json') {
    io.err(
      `${JSON.stringify({ error: { code: e.code, message: e.message, ...(e.param ? { param: e.param } : {}) } })}\n`,
    );
  } else io.err(`${e.code}: ${e.message}\n`);
}

/** The embedded database's folder holds a database (PGlite writes PG_VERSION at creation). */
function hasDatabase(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, 'pglite', 'PG_VERSION'));
}

class Stop extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Runs one command line; returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  // switches are known before the command is: every command's and the global ones
  const booleans = new Set(
    [...GLOBAL_FLAGS, ...ALL.flatMap((c) => c.flags)].filter((f) => f.boolean).map((f) => f.name),
  );
  let command: Command | undefined;
  let close: (() => Promise<void>) | undefined;
  let format: Format = 'json';
  let interrupted = false;
  const abort = new AbortController();
  let onInterrupt = () => {};
  const sigint = () => {
    if (interrupted) {
      io.err('orderdesk: interrupted again: stopping now\n');
      process.exit(130);
    }
    interrupted = true;
    onInterrupt();
  };
  if (io.signals) process.on('SIGINT', sigint);
  try {
    const { positionals, flags } = splitArgs(argv, booleans);
    if (positionals.length === 0 || positionals[0] === 'help') {
      const topic = positionals.length > 1 ? findCommand(positionals.slice(1)) : undefined;
      if (positionals.length > 1 && !topic)
        throw new UsageError(`unknown command: ${positionals.slice(1).join(' ')}`);
      io.out(helpText(topic));
      return 0;
    }
    command = findCommand(positionals);
    if (!command) {
      const group = ALL.filter((c) => c.path.length > 1 && c.path[0] === positionals[0]);
      throw new UsageError(
        group.length
          ? `${positionals[0]} needs one of: ${group.map((c) => c.path[1]).join(', ')}`
          : `unknown command: ${positionals.join(' ')}`,
      );
    }
    if (flags.has('help')) {
      io.out(helpText(command));
      return 0;
    }
    const args = positionals.slice(command.path.length);
    if (args.length !== command.args.length) {
      throw new UsageError(
        command.args.length
          ? `expected ${command.args.join(' ')}, got ${args.length ? args.join(' ') : 'nothing'}`
          : `unexpected argument ${args[0]}`,
      );
    }
    checkFlags(flags, [...command.flags, ...GLOBAL_FLAGS]);
    if (flags.has('json') && flags.has('text')) throw new UsageError('--json and --text exclude each other');
    format = flags.has('json') ? 'json' : flags.has('text') ? 'text' : io.outTty ? 'human' : 'json';
    const input: CommandInput = { positionals: args, flags };
    const params = command.parse(input);
    if (command.serve) {
      if (io.signals) process.off('SIGINT', sigint);
      return await serve(io, command.path[0] === 'worker');
    }
    const name = command.path.join(' ');
    // a command without an admin route (migrate, demo load) still refuses a server that holds
    // the embedded database, with a message saying so
    const found = findServer(io.env);
    const server = command.http || found?.via === 'server.json' ? found : null;
    let outcome:
      | { ok: true; answer: Answer }
      | { ok: false; error: { code: string; message: string; param?: string } };
    if (server) {
      outcome = await remote(io, command, params, server, abort.signal, (f) => {
        onInterrupt = f;
      });
    } else {
      const dataDir = dataDirOf(io.env);
      if (!io.env.DATABASE_URL && !command.creates && !hasDatabase(dataDir)) {
        io.err(
          `orderdesk: no database in DATA_DIR ${dataDir} (${path.join(dataDir, 'pglite')} ${fs.existsSync(dataDir) ? 'holds no database' : 'does not exist'}), and no server is running for it.\n` +
            `  Check DATA_DIR (or set ORDERDESK_URL to a running server, or DATABASE_URL); 'orderdesk migrate' creates a new database there.\n`,
        );
        return 1;
      }
      onInterrupt = () =>
        io.err(`\norderdesk: interrupted: ${name} stops at the next safe point (Ctrl-C again to stop now)\n`);
      const [{ openContext }, { runners, Interrupted }] = (await Promise.all([
        modules.load('context'),
        modules.load('direct'),
      ])) as [typeof import('./context.ts'), typeof import('./direct.ts')];
      const directIo: DirectIo = {
        progress: (label) => (io.errTty ? progressBar(label) : noProgress),
        interrupted: () => interrupted,
      };
      let ctx: Awaited<ReturnType<typeof openContext>>;
      try {
        ctx = await openContext(io.env);
      } catch (e) {
        if (e instanceof Error && e.name === 'DataDirLocked') {
          throw new Error(`${e.message}; to work beside it, set ORDERDESK_URL to its address`);
        }
        throw e;
      }
      close = () => ctx.close();
      try {
        const r = await runners[name]!(params, ctx, directIo);
        outcome = r.ok ? { ok: true, answer: { json: r.json, ...(r.note ? { note: r.note } : {}) } } : r;
      } catch (e) {
        if (e instanceof Interrupted) {
          io.err(`orderdesk: ${e.summary}\n`);
          throw new Stop(130);
        }
        throw e;
      }
    }
    if (!outcome.ok) {
      printError(io, format, outcome.error);
      return interrupted ? 130 : 1;
    }
    printAnswer(io, command, format, outcome.answer);
    if (interrupted) {
      io.err(`orderdesk: interrupted, but ${name} had already finished: done, as printed\n`);
      return 130;
    }
    return 0;
  } catch (e) {
    if (e instanceof Stop) return e.code;
    if (e instanceof UsageError) {
      io.err(
        `orderdesk: ${e.message}\n${command ? `usage: ${usageLine(command)}\n` : "run 'orderdesk help' for the commands\n"}`,
      );
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`orderdesk: ${message}\n`);
    if (io.env.ORDERDESK_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return interrupted ? 130 : 1;
  } finally {
    if (io.signals) process.off('SIGINT', sigint);
    await close?.();
  }
}

/** The command through the server's admin API. */
async function remote(
  io: Io,
  command: Command,
  // biome-ignore lint/suspicious/noExplicitAny: the command's parsed arguments
  params: any,
  server: Server,
  signal: AbortSignal,
  setInterrupt: (f: () => void) => void,
): Promise<
  { ok: true; answer: Answer } | { ok: false; error: { code: string; message: string; param?: string } }
> {
  const name = command.path.join(' ');
  if (!command.http) {
    return {
      ok: false,
      error: {
        code: 'invalid_state',
        message: `${name} runs only directly on the database, and a server is running for it at ${server.url} (from ${server.via}): stop the server first`,
      },
    };
  }
  const call = command.http(params);
  const controller = new AbortController();
  signal.addEventListener('abort', () => controller.abort());
  setInterrupt(() => controller.abort());
  const bar = io.errTty && call.raw ? progressBar('send') : noProgress;
  if (call.raw) bar.start(1, `sent to ${server.url}; the server is working`);
  try {
    const r = await callServer(server, call, controller.signal);
    bar.stop();
    if (r.ok) return { ok: true, answer: { json: r.json } };
    let error: { code: string; message: string; param?: string };
    try {
      error = (JSON.parse(r.body) as { error: typeof error }).error;
    } catch {
      error = {
        code: 'server_error',
        message: `HTTP ${r.status} from ${server.url}: ${r.body.slice(0, 200)}`,
      };
    }
    return { ok: false, error };
  } catch (e) {
    bar.stop();
    if (controller.signal.aborted) {
      io.err(
        `\norderdesk: interrupted while waiting for ${server.url}: the request was sent; ${call.method === 'GET' ? 'nothing was changed' : 'the server finishes or rolls it back on its own (look it up to see which)'}\n`,
      );
      throw new Stop(130);
    }
    throw e;
  }
}

/** The real process: the terminal, Ctrl-C and the exit code. */
export function main(argv: readonly string[]): void {
  run(argv, {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    outTty: process.stdout.isTTY === true,
    errTty: process.stderr.isTTY === true,
    signals: true,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`orderdesk: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2));
}
