/**
 * `orderdesk <command>`: the operator's command line (SPEC §11). It opens the database itself
 * (DATABASE_URL, or the embedded PGlite in DATA_DIR) and runs the same use-cases as the admin
 * API, so what it does is exactly what the API would do.
 *
 * Output: JSON on stdout by default (--json), one short line per object with --text.
 * Exit codes: 0 done; 1 refused (the error code and message on stderr) or failed; 2 usage error.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from '../contract/json.ts';
import { checkFlags, type FlagSpec, splitArgs, UsageError } from './args.ts';
import { type Command, commands } from './commands.ts';
import { type CliContext, openContext } from './context.ts';

const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'json', boolean: true, description: 'print JSON, as the API answers (default)' },
  { name: 'text', boolean: true, description: 'print short human-readable lines' },
  { name: 'help', boolean: true, description: 'show help' },
];

const SERVE: Command = {
  path: ['serve'],
  args: [],
  summary: 'Start the server, the workers and the console (as npm start)',
  flags: [],
  noDb: true,
  prepare: () => async () => ({ ok: true, json: null, text: '' }),
};

const ALL: Command[] = [SERVE, ...commands];

export interface Io {
  env: Record<string, string | undefined>;
  out(text: string): void;
  err(text: string): void;
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
    return `${lines.join('\n')}\n`;
  }
  const lines = ['usage: orderdesk <command> [options]', '', 'commands:'];
  for (const c of ALL) lines.push(`  ${[...c.path, ...c.args].join(' ')}`.padEnd(42) + c.summary);
  lines.push(
    `  ${'help [COMMAND]'.padEnd(40)}this help, or a command's`,
    '',
    'options: --json (default) prints what the API would answer; --text prints short lines.',
    'environment: DATABASE_URL (PostgreSQL) or DATA_DIR (embedded PGlite, default ./data),',
    '  ORDERDESK_TEST_CLOCK=1 to use the shared test clock.',
    'exit codes: 0 done, 1 refused or failed (the error on stderr), 2 usage error.',
  );
  return `${lines.join('\n')}\n`;
}

/** The command named by the leading positionals: the longest path that matches. */
function findCommand(positionals: string[]): Command | undefined {
  return ALL.filter((c) => c.path.every((w, i) => positionals[i] === w)).sort(
    (a, b) => b.path.length - a.path.length,
  )[0];
}

async function serve(io: Io): Promise<number> {
  const { start } = await import('../main.ts');
  const server = await start(io.env);
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

/** Runs one command line; returns the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  // switches are known before the command is: every command's and the global ones
  const booleans = new Set(
    [...GLOBAL_FLAGS, ...ALL.flatMap((c) => c.flags)].filter((f) => f.boolean).map((f) => f.name),
  );
  let command: Command | undefined;
  let ctx: CliContext | undefined;
  let text = false;
  try {
    const parsed = splitArgs(argv, booleans);
    const { positionals, flags } = parsed;
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
    text = flags.has('text');
    if (command.noDb) return await serve(io);
    const work = command.prepare({ positionals: args, flags });
    ctx = await openContext(io.env);
    const outcome = await work(ctx);
    if (!outcome.ok) {
      const e = outcome.error;
      if (text) io.err(`${e.code}: ${e.message}\n`);
      else
        io.err(
          `${stringify({ error: { code: e.code, message: e.message, ...(e.param ? { param: e.param } : {}) } })}\n`,
        );
      return 1;
    }
    io.out(text ? (outcome.text ? `${outcome.text}\n` : '') : `${stringify(outcome.json)}\n`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(
        `orderdesk: ${e.message}\n${command ? `usage: ${usageLine(command)}\n` : "run 'orderdesk help' for the commands\n"}`,
      );
      return 2;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`orderdesk: ${message}\n`);
    if (io.env.ORDERDESK_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    return 1;
  } finally {
    await ctx?.close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run(process.argv.slice(2), {
    env: process.env,
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
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
