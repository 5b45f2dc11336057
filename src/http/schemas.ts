/** Request schemas shared by several routes, and the input rules every route shares. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MoneyError, parseUsd } from '../domain/money.ts';
import { fail } from './errors.ts';

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z.string().min(1).max(64).optional(),
});

export const idParam = z.object({ id: z.string().min(1).max(64) });

/** Whether a parsed time falls in the years 0001–9999 in UTC (what PostgreSQL's timestamptz keeps). */
export function inStorableYears(s: string): boolean {
  const year = new Date(s).getUTCFullYear();
  return year >= 1 && year <= 9999;
}

const STORABLE_YEARS = 'must be between the years 0001 and 9999 (in UTC)';

/** An ISO 8601 date-time with its zone (Z or ±hh:mm), in the years 0001–9999 in UTC. */
export const isoDateTime = z.iso.datetime({ offset: true }).refine(inStorableYears, STORABLE_YEARS);

/** An ISO date (a UTC day) or a date-time with its zone, in the years 0001–9999 in UTC. */
export const isoDateOrDateTime = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .refine(inStorableYears, STORABLE_YEARS);

export const errorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    param: z.string().optional(),
    request_id: z.string(),
  }),
});

/** A USD amount as a JSON number (or a decimal string) with at most two decimals. */
export const usdAmount = z.union([z.number(), z.string().regex(/^-?\d{1,13}(\.\d{1,2})?$/)]);

/** A USD amount parsed into integer cents during validation: a bad amount is a 400 naming the field. */
export const usdCents = usdAmount.transform((v, ctx) => {
  try {
    return parseUsd(v);
  } catch (e) {
    if (!(e instanceof MoneyError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message });
    return z.NEVER;
  }
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what this looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Finds a string PostgreSQL cannot store: one with a NUL character (text and jsonb refuse it) or
 * a lone UTF-16 surrogate (not Unicode; jsonb refuses its escape). Returns the path of the first,
 * '' for the value itself, or null when every string (and object key) is fine. Iterative, so no
 * nesting depth overflows the stack.
 */
export function unstorableTextPath(value: unknown): string | null {
  const stack: [unknown, string][] = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (UNSTORABLE.test(v)) return path;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        const at = path ? `${path}.${k}` : k;
        if (UNSTORABLE.test(k)) return at;
        stack.push([inner, at]);
      }
    }
  }
  return null;
}

/**
 * A preValidation hook for every route: a NUL character or a lone surrogate anywhere in the body,
 * the query or the path parameters is 400 invalid_request, never a database error (a 5xx).
 */
export async function rejectUnstorableText(req: FastifyRequest, reply: FastifyReply) {
  for (const [where, value] of [
    ['body', req.body],
    ['query', req.query],
    ['path', req.params],
  ] as const) {
    const at = unstorableTextPath(value);
    if (at === null) continue;
    const param = at || undefined;
    return fail(
      reply,
      'invalid_request',
      `Invalid ${where}${param ? ` parameter ${param}` : ''}: text must be valid Unicode without NUL characters`,
      param,
    );
  }
}
