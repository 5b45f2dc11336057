/** Request schemas shared by several routes, and the input rules every route shares. */
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MoneyError, parseUsd } from '../domain/money.ts';
import { fail, invalidRequest } from './errors.ts';

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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
const UNSAFE_IN_NAMES = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * A name or description people read (account, subuser, API key, operator token, webhook
 * endpoint, KYC legal name): trimmed, then 1 to `max` characters, without C0/C1 control
 * characters and without the bidirectional embeddings, overrides and isolates (U+202A–U+202E,
 * U+2066–U+2069) that make text display other than it reads. A refusal is 400 invalid_request
 * naming the field.
 */
export function displayText(max: number) {
  return z
    .string()
    .trim()
    .min(1, 'must not be empty or only spaces')
    .max(max)
    .refine(
      (s) => !UNSAFE_IN_NAMES.test(s),
      'must not contain control characters or bidirectional overrides (U+202A–U+202E, U+2066–U+2069)',
    );
}

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

/**
 * How deep a request body's JSON may nest. The API's own bodies nest a few levels; a much deeper
 * one only serves to overflow the stack of the recursive walks that follow (the idempotency hash,
 * validation), so it is refused before it is parsed.
 */
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }

/** Whether a JSON text nests deeper than `limit`: its brackets outside strings, counted without parsing. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (OPENERS.has(c)) {
      if (++depth > limit) return true;
    } else if (CLOSERS.has(c)) {
      depth--;
    }
  }
  return false;
}

/** The body types whose non-JSON body is a malformed request (400) rather than a type the API does not speak (415). */
function isJsonOrUnnamed(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  // curl -d sends application/x-www-form-urlencoded; other clients text/plain or no type at all
  return (
    media === '' ||
    media === 'application/json' ||
    media.endsWith('+json') ||
    media === 'application/x-www-form-urlencoded' ||
    media === 'text/plain'
  );
}

/** The types the body parser takes: JSON's own, the ones clients send JSON under, and any other ('*'). */
export const BODY_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', '*'];

type StringParser = (
  req: FastifyRequest,
  text: string,
  done: (e: Error | null, body?: unknown) => void,
) => void;

/**
 * The one body parser (SPEC §1): a body that is a JSON document is read as JSON whatever its
 * declared type, so the seed's `curl -d '{…}'` lines work as written. An empty body is an absent
 * one (undefined), so optional bodies may be left out even under a JSON content type. A body
 * nested deeper than MAX_JSON_DEPTH is 400 before it is parsed. JSON is parsed by Fastify's own
 * parser, which refuses `__proto__` and `constructor.prototype` keys.
 */
export function jsonBodyParser(app: FastifyInstance): StringParser {
  const parseJson = app.getDefaultJsonParser('error', 'error') as StringParser;
  return (req, text, done) => {
    // a body sent to no route is not worth a complaint: the answer is 404
    if (req.is404 || text.trim() === '') return done(null, undefined);
    if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
      return done(invalidRequest(`The body nests deeper than ${MAX_JSON_DEPTH} levels`));
    }
    parseJson(req, text, (e, body) => {
      if (!e) return done(null, body);
      if (!isJsonOrUnnamed(req.headers['content-type']))
        return done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE());
      done(invalidRequest('The body must be a JSON document (a JSON object for every route that takes one)'));
    });
  };
}

const takesEmptyObject = new WeakMap<object, boolean>();

/** Whether a route's body schema accepts `{}`, i.e. every field of the body is optional (cached per schema). */
function acceptsEmptyObject(schema: z.ZodType): boolean {
  let accepts = takesEmptyObject.get(schema);
  if (accepts === undefined) {
    accepts = schema.safeParse({}).success;
    takesEmptyObject.set(schema, accepts);
  }
  return accepts;
}

/** Whether the request carries a body that says something: anything but none, an empty one or `{}`. */
function hasBody(req: FastifyRequest): boolean {
  // Fastify does not read the body of a GET or HEAD: its headers tell whether one was sent
  if (req.method === 'GET' || req.method === 'HEAD') {
    return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  }
  return req.body !== undefined && !isEmptyObject(req.body);
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0;
}

/**
 * A preValidation hook for every route, by the body its schema declares:
 *  - no body schema: the route takes no body, and one that says something (anything but empty or
 *    `{}`) is 400 invalid_request — a DELETE sent with junk is a client's mistake, never a delete;
 *  - a body whose every field is optional: a missing body is read as `{}` (SPEC §1: optional
 *    bodies may be left out), so the handler, the validation and the idempotency hash see one
 *    request whether the client sent `{}`, an empty body or none.
 */
export async function bodyAsDeclared(req: FastifyRequest, reply: FastifyReply) {
  if (req.is404) return;
  const schema = req.routeOptions.schema?.body as z.ZodType | undefined;
  if (schema === undefined) {
    if (hasBody(req))
      return fail(reply, 'invalid_request', `${req.method} ${req.routeOptions.url} takes no body`);
    return;
  }
  if (req.body === undefined && acceptsEmptyObject(schema)) req.body = {};
}
