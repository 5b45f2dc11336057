/**
 * What every `orderdesk` command is made of (SPEC §11): its declaration (path, arguments, flags,
 * summary), how it checks its arguments, the admin API call that does it on a running server, and
 * how its answer reads as short lines. This file and the declarations (commands.ts,
 * commands/*.ts) import nothing heavy: a command that talks to a server never loads the database
 * or the use-cases; the direct implementations (direct.ts) are imported only without a server.
 */
import { MoneyError, parseUsd } from '../domain/money.ts';
import { type FlagSpec, UsageError } from './args.ts';

export interface CommandInput {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** An admin API request: what the command asks a running server. */
export interface HttpCall {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** /admin/v1/… with the ids already encoded */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** JSON body */
  body?: unknown;
  /** a body sent as is, with its content type (a CSV import) */
  raw?: { contentType: string; text: string };
  /** the answer is a list whose first element is the object (accounts get EMAIL) */
  first?: { param: string; message: string };
}

/** A column of a list's table: its title and the cell of one row. */
export interface Column {
  title: string;
  // biome-ignore lint/suspicious/noExplicitAny: rows are the API's JSON
  cell(row: any): string;
}

// biome-ignore lint/suspicious/noExplicitAny: each command has its own parsed arguments
export interface Command<P = any> {
  /** words that name it: ['accounts', 'create'] */
  path: string[];
  /** positional arguments, for help and for the count check */
  args: string[];
  summary: string;
  flags: FlagSpec[];
  /** checks the arguments (throwing UsageError) before anything is opened or asked */
  parse(input: CommandInput): P;
  /** the admin API call that does the same on a running server; absent: direct only */
  http?(p: P): HttpCall;
  /** short human-readable lines from the API's JSON (--text, and a terminal for non-lists) */
  // biome-ignore lint/suspicious/noExplicitAny: the API's JSON
  text(json: any): string;
  /** the answer is a list ({object: 'list', data}): shown as a table with these columns on a terminal */
  columns?: Column[];
  /** may create the database in an empty DATA_DIR (migrate, serve, demo load) */
  creates?: boolean;
  /** runs the server (serve) */
  serve?: boolean;
}

export const LIST_FLAGS: FlagSpec[] = [
  { name: 'limit', value: 'N', description: 'at most N rows, 1–100 (default 20)' },
  { name: 'starting-after', value: 'ID', description: 'the page after this id' },
];

export function flag(input: CommandInput, name: string): string | undefined {
  const v = input.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function amountArg(text: string, what: string): number {
  try {
    return parseUsd(text);
  } catch (e) {
    if (e instanceof MoneyError)
      throw new UsageError(`${what}: "${text}" is not a USD amount with at most two decimals`);
    throw e;
  }
}

export function listPage(input: CommandInput): { limit: number; startingAfter?: string } {
  const raw = flag(input, 'limit') ?? '20';
  const limit = Number(raw);
  if (!/^\d+$/.test(raw) || limit < 1 || limit > 100) throw new UsageError('--limit must be 1 to 100');
  const after = flag(input, 'starting-after');
  return { limit, ...(after ? { startingAfter: after } : {}) };
}

/** The list query of the admin API for a page. */
export function pageQuery(p: { limit: number; startingAfter?: string }): Record<string, string | number> {
  return { limit: p.limit, ...(p.startingAfter ? { starting_after: p.startingAfter } : {}) };
}

/** An optional flag that must be one of `values`. */
export function oneOf<T extends string>(
  input: CommandInput,
  name: string,
  values: readonly T[],
): T | undefined {
  const v = flag(input, name);
  if (v !== undefined && !(values as readonly string[]).includes(v)) {
    throw new UsageError(`--${name} must be one of ${values.join(', ')}`);
  }
  return v as T | undefined;
}

/** A required, non-blank --reason. */
export function reasonArg(input: CommandInput): string {
  const reason = flag(input, 'reason')!.trim();
  if (!reason) throw new UsageError('--reason must not be blank');
  return reason;
}

/** An id in a URL path. */
export const seg = (id: string) => encodeURIComponent(id);

/** A money or price number of the API's JSON, with two decimals (display only). */
export const usd = (n: number) => Number(n).toFixed(2);

/** The positional arguments alone, for commands that take only ids. */
export const positionals = (input: CommandInput) => input.positionals;

/** Rows of a list answer. */
// biome-ignore lint/suspicious/noExplicitAny: the API's JSON
export const rows = (json: any): any[] => (Array.isArray(json?.data) ? json.data : []);
