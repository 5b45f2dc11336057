/**
 * What every `orderdesk` command is made of (SPEC §11): its declaration (path, arguments, flags,
 * summary), the outcome it answers with, and the argument helpers the command files share
 * (commands.ts and commands/*.ts).
 */
import type { DomainError, Result } from '../domain/errors.ts';
import { MoneyError, parseUsd } from '../domain/money.ts';
import { type FlagSpec, UsageError } from './args.ts';
import type { CliContext } from './context.ts';

export type Outcome = { ok: true; json: unknown; text: string } | { ok: false; error: DomainError };

export interface CommandInput {
  positionals: string[];
  flags: Map<string, string | true>;
}

export interface Command {
  /** words that name it: ['accounts', 'create'] */
  path: string[];
  /** positional arguments, for help and for the count check */
  args: string[];
  summary: string;
  flags: FlagSpec[];
  /** runs without opening the database (serve opens its own) */
  noDb?: boolean;
  /**
   * Checks the arguments (throwing UsageError) before any database is opened, and returns the
   * work to do with it.
   */
  prepare(input: CommandInput): (ctx: CliContext) => Promise<Outcome>;
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

export function done<T>(r: Result<T>, json: (v: T) => unknown, text: (v: T) => string): Outcome {
  return r.ok ? { ok: true, json: json(r.value), text: text(r.value) } : { ok: false, error: r.error };
}
