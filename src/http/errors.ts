/**
 * The one error envelope: HTTP status plus {"error": {code, message, param?, request_id}}.
 * Domain errors map through errorStatus; schema and parser errors become 400 invalid_request;
 * anything else is a bug and a 500 (logged with its request id).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { usd } from '../contract/json.ts';
import {
  type DomainError,
  DomainFailure,
  type ErrorCode,
  errorStatus,
  type Result,
} from '../domain/errors.ts';

export function sendError(reply: FastifyReply, e: DomainError, headers: Record<string, string> = {}) {
  const body: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.param) body.param = e.param;
  if (e.detail) Object.assign(body, presentDetail(e.detail));
  body.request_id = reply.request.id;
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(errorStatus[e.code]).send({ error: body });
}

/**
 * An error's machine-readable detail as the API shows it: rules and use-cases count money in
 * integer cents (`refundable_cents`, `balance_short_usd_cents`), the API speaks USD with two
 * decimals (`refundable_usd: 12.50`, `balance_short_usd: 125.00`), as every response does.
 */
function presentDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) {
    if (k.endsWith('_cents') && Number.isSafeInteger(v))
      out[`${k.slice(0, -6).replace(/_usd$/, '')}_usd`] = usd(v as number);
    else out[k] = v;
  }
  return out;
}

export function fail(reply: FastifyReply, code: ErrorCode, message: string, param?: string) {
  return sendError(reply, { code, message, ...(param ? { param } : {}) });
}

/** A 400 invalid_request to throw (or hand to a body parser's callback): the error handler sends its envelope. */
export function invalidRequest(message: string): DomainFailure {
  return new DomainFailure({ code: 'invalid_request', message });
}

/** Sends a use-case's result: the presented value, or the error envelope. */
/** A 200 whose JSON body is already written (a stored answer sent as it was stored). */
export function sendJson(res: FastifyReply, json: string) {
  return res
    .code(200)
    .type('application/json; charset=utf-8')
    .serializer((p: unknown) => p as string)
    .send(json);
}

export function reply<T>(res: FastifyReply, r: Result<T>, present: (v: T) => unknown, status = 200) {
  if (!r.ok) return sendError(res, r.error);
  return res.code(status).send(present(r.value));
}

/**
 * The parameter a schema error is about, dotted ('line_items.0.gb'): the issue's path, plus the
 * first unknown key for a strict object's unknown fields.
 */
function paramOf(e: { instancePath?: string; keyword?: string; params?: Record<string, unknown> }) {
  const path = (e.instancePath ?? '').split('/').filter((p) => p !== '');
  const keys = e.params?.keys;
  if (e.keyword === 'unrecognized_keys' && Array.isArray(keys) && keys.length > 0) path.push(String(keys[0]));
  return path.length > 0 ? path.join('.') : undefined;
}

export function errorHandler(error: FastifyError, req: FastifyRequest, res: FastifyReply) {
  if (error instanceof DomainFailure) return sendError(res, error.error);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const first = error.validation[0];
    const where = error.validationContext === 'body' ? '' : `${error.validationContext} `;
    const param = first ? paramOf(first) : undefined;
    return sendError(res, {
      code: 'invalid_request',
      message: `Invalid ${where}${param ? `parameter ${param}` : 'request'}: ${first?.message ?? 'does not match the schema'}`,
      ...(param ? { param } : {}),
    });
  }
  const status = error.statusCode ?? 500;
  if (status === 429) {
    return sendError(res, {
      code: 'rate_limited',
      message: 'Too many requests; retry after the time in Retry-After',
    });
  }
  if (status >= 400 && status < 500) {
    // malformed JSON, wrong content type, body too large, bad URL encoding...
    const body = { code: 'invalid_request', message: error.message, request_id: req.id };
    return res.code(status).send({ error: body });
  }
  req.log.error({ err: error }, 'unhandled error');
  return res.code(500).send({
    error: {
      code: 'api_error',
      message: 'An internal error occurred; it has been logged',
      request_id: req.id,
    },
  });
}

export function notFoundHandler(req: FastifyRequest, res: FastifyReply) {
  return fail(res, 'not_found', `No route ${req.method} ${req.url.split('?')[0]}`);
}

/**
 * Fastify's router refusals (a malformed percent-encoding, a path parameter over the router's
 * length limit) bypass the error handler unless the app passes this as `frameworkErrors`: then
 * they get the envelope and the Request-Id header like every other answer.
 */
export function frameworkErrorHandler(error: FastifyError, req: FastifyRequest, res: FastifyReply) {
  res.header('Request-Id', req.id);
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'The URL is not validly percent-encoded'
        : 'The request could not be routed';
  return sendError(res, { code: 'invalid_request', message });
}
