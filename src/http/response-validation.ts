/**
 * Response validation, for tests: every answer of a documented route is read back as the client
 * reads it (JSON.parse of the bytes sent, so 225.00 arrives as a number) and checked against the
 * schema the document gives for its status and content type. The serializer never validates (it
 * writes the money decimals, see contract/json.ts), so this is how a drift between the document
 * and the API shows: an undocumented status or error code, a missing or mistyped field.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { type DocumentedRoute, documentedResponses } from './openapi.ts';

export interface ResponseMismatch {
  method: string;
  url: string;
  status: number;
  problem: string;
  body: string;
}

/** Adds the check to `app` (before its routes are registered); each mismatch goes to `report`. */
export function validateResponses(app: FastifyInstance, report: (m: ResponseMismatch) => void) {
  app.addHook('onSend', async (req, reply, payload) => {
    const schema = req.routeOptions.schema;
    const status = reply.statusCode;
    // undocumented routes (health, metrics, the docs) and failures of ours (500: a bug a test sees)
    if (!schema || schema.hide || status >= 500 || typeof payload !== 'string') return payload;
    const route: DocumentedRoute = {
      method: req.routeOptions.method,
      url: req.routeOptions.url ?? '',
      schema,
    };
    const mismatch = (problem: string) =>
      report({ method: req.method, url: req.url, status, problem, body: payload.slice(0, 2000) });
    const response = documentedResponses(route)[status];
    if (!response) {
      mismatch(`status ${status} is not documented`);
      return payload;
    }
    const mediaType = String(reply.getHeader('content-type') ?? 'application/json')
      .split(';')[0]!
      .trim();
    const expected = 'content' in response ? response.content[mediaType]?.schema : response;
    if (!expected) {
      mismatch(`content type ${mediaType} is not documented for status ${status}`);
      return payload;
    }
    let body: unknown = payload;
    if (mediaType === 'application/json') {
      try {
        body = JSON.parse(payload);
      } catch {
        mismatch('the body is not JSON');
        return payload;
      }
    }
    const problem = bodyMismatch(expected as z.ZodType, body);
    if (problem !== null) mismatch(problem);
    return payload;
  });
}

/** What is wrong with `body` as an instance of `schema` (a field it lacks, mistypes or adds), or null. */
export function bodyMismatch(schema: z.ZodType, body: unknown): string | null {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
  }
  // parsing drops the keys an object schema does not name: any such key is an undocumented field
  const extra = undocumentedField(body, parsed.data, '');
  return extra === null ? null : `${extra}: not in the schema`;
}

/** The path of the first key of `sent` that `kept` (its parse) lost, or null. */
function undocumentedField(sent: unknown, kept: unknown, path: string): string | null {
  if (sent === null || typeof sent !== 'object' || kept === null || typeof kept !== 'object') return null;
  for (const [k, v] of Object.entries(sent)) {
    const at = path ? `${path}.${k}` : k;
    if (!(k in kept)) return at;
    const inner = undocumentedField(v, (kept as Record<string, unknown>)[k], at);
    if (inner !== null) return inner;
  }
  return null;
}
