/**
 * The OpenAPI document (SPEC §1), generated from the route schemas. A route declares its 2xx
 * bodies (`response`) and the error codes of its own (`errors`); the codes every route of an API
 * shares are added here by path and method, so one list says what each operation can answer:
 *  - every route: 400 invalid_request (schema, malformed JSON, a bad Idempotency-Key …);
 *  - the customer API (/v1): 401 unauthenticated and 429 rate_limited (with Retry-After), and on
 *    a write 403 forbidden (a session cookie without its X-CSRF-Token);
 *  - the operator API (/admin/v1): 401 unauthenticated, 403 forbidden (a customer key) and 429
 *    rate_limited (with Retry-After);
 *  - POST and DELETE (Idempotency-Key): 409 request_in_progress and 422 idempotency_key_reused;
 * A route that names its own `security` (the console's sign-up, login and session: public or
 * cookie-only) shares none of its API's codes nor the Idempotency-Key: it lists its own errors.
 *  - a method that carries a body: 413 (too large) and 415 (a content type the API does not
 *    read), both with the invalid_request envelope.
 * The same lists drive the response validation of the tests (response-validation.ts).
 */
import fs from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyDynamicSwaggerOptions, SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { errorEnvelope } from '../contract/error.ts';
// registers the Event schema, which the document's webhooks section names
import '../contract/event.ts';
import { type ErrorCode, errorStatus } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifySchema {
    /** the error codes the route's own handler can answer, beyond those its API shares */
    errors?: readonly ErrorCode[];
  }
}

type Security = ReadonlyArray<Record<string, readonly string[]>>;

type Api = 'customer' | 'admin';

const API_ERRORS: Record<Api, readonly ErrorCode[]> = {
  customer: ['unauthenticated', 'rate_limited'],
  admin: ['unauthenticated', 'forbidden', 'rate_limited'],
};

/** Each API's schemes, any one of which opens it: customers by key or by the console's session cookie. */
const SECURITY: Record<Api, Security> = {
  customer: [{ apiKey: [] }, { sessionCookie: [] }],
  admin: [{ adminToken: [] }],
};
/** A cookie-authenticated customer write without the session's X-CSRF-Token (http/auth.ts). */
const CUSTOMER_WRITE_ERRORS: readonly ErrorCode[] = ['forbidden'];
const SAFE_METHODS = new Set(['GET', 'HEAD']);

const IDEMPOTENT_METHODS = new Set(['POST', 'DELETE']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The body parser's refusals: their own status, the invalid_request code. */
const TRANSPORT_STATUSES = [413, 415];
const IDEMPOTENCY_ERRORS: readonly ErrorCode[] = ['request_in_progress', 'idempotency_key_reused'];

function apiOf(url: string): Api | null {
  if (url.startsWith('/admin/v1/')) return 'admin';
  if (url.startsWith('/v1/')) return 'customer';
  return null;
}

/** A response as a route may declare it: a body schema, or bodies by content type. */
type ResponseSchema = z.ZodType | { description: string; content: Record<string, { schema: z.ZodType }> };

export interface DocumentedRoute {
  method: string | readonly string[];
  url: string;
  schema: { response?: unknown; errors?: readonly ErrorCode[]; security?: Security };
}

const methodsOf = (r: DocumentedRoute) => (typeof r.method === 'string' ? [r.method] : r.method);

/** The API whose auth, shared errors and Idempotency-Key the route takes; null for a route with its own security. */
function sharedApiOf(route: DocumentedRoute): Api | null {
  return route.schema.security ? null : apiOf(route.url);
}

/** Every error code the route can answer, its own and those of its API. */
function errorCodes(route: DocumentedRoute): ErrorCode[] {
  const api = sharedApiOf(route);
  const codes = new Set<ErrorCode>(['invalid_request', ...(route.schema.errors ?? [])]);
  if (!api) return [...codes];
  for (const c of API_ERRORS[api]) codes.add(c);
  if (api === 'customer' && methodsOf(route).some((m) => !SAFE_METHODS.has(m)))
    for (const c of CUSTOMER_WRITE_ERRORS) codes.add(c);
  if (methodsOf(route).some((m) => IDEMPOTENT_METHODS.has(m)))
    for (const c of IDEMPOTENCY_ERRORS) codes.add(c);
  return [...codes];
}

const documented = new WeakMap<object, Record<string, ResponseSchema>>();

/**
 * The route's responses by status: its 2xx bodies as declared, and for each error status the
 * envelope with the codes that status can carry.
 */
export function documentedResponses(route: DocumentedRoute): Record<string, ResponseSchema> {
  const cached = documented.get(route.schema);
  if (cached) return cached;
  const out: Record<string, ResponseSchema> = {};
  for (const [status, schema] of Object.entries(
    (route.schema.response ?? {}) as Record<string, ResponseSchema>,
  )) {
    out[status] = 'content' in schema ? schema : json(statusText(Number(status)), schema);
  }
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodes(route)) {
    const status = errorStatus[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  if (methodsOf(route).some((m) => BODY_METHODS.has(m))) {
    for (const status of TRANSPORT_STATUSES) byStatus.set(status, ['invalid_request']);
  }
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[status] = json(
      `${statusText(status)}: ${codes.join(', ')}`,
      errorEnvelope(codes as [ErrorCode, ...ErrorCode[]]),
    );
  }
  documented.set(route.schema, out);
  return out;
}

const statusText = (status: number) => STATUS_CODES[status] ?? String(status);

const json = (description: string, schema: z.ZodType): ResponseSchema => ({
  description,
  content: { 'application/json': { schema } },
});

/** The parts of the generated document the transforms below touch. */
interface Operation {
  parameters?: unknown[];
  requestBody?: { required?: boolean };
  responses: Record<string, { headers?: Record<string, unknown> }>;
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
  webhooks?: unknown;
}

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** The @fastify/swagger options: the document's frame, and the per-route and whole-document transforms. */
export function openapiOptions(): FastifyDynamicSwaggerOptions {
  // operations whose body may be left out, and those taking Idempotency-Key (filled by `transform`, read by `transformObject`)
  const optionalBodies = new Set<string>();
  const idempotentOps = new Set<string>();

  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'orderdesk API',
        version: '1.0.0',
        description:
          'Orders and billing for proxy and cloud products. USD amounts are JSON numbers written with two decimals (225.00).',
      },
      // relative: the document describes the server that serves it
      servers: [{ url: '/' }],
      tags: [
        {
          name: 'session',
          description: 'The console: sign up, log in and out (a session cookie and its CSRF token)',
        },
        { name: 'orders', description: 'Place, quote, pay, cancel and list orders (SPEC §4)' },
        { name: 'account', description: 'Your account: balance, arrears, KYC status, traffic pools' },
        { name: 'billing', description: 'Top-ups, the balance ledger and vouchers (SPEC §5)' },
        { name: 'payment methods', description: 'Cards: brand, last 4 and expiry only' },
        { name: 'subusers', description: 'Proxy credentials, caps and usage per product (SPEC §2)' },
        { name: 'kyc', description: 'Identity review: mobile and ISP orders need it approved' },
        { name: 'isp', description: 'ISP static IPs: stock, batches and their lifecycle (SPEC §6)' },
        {
          name: 'servers',
          description:
            'Dedicated servers (ins_…): list, retrieve, trial, convert, change, temporary upgrade, renew, unsubscribe (SPEC §7)',
        },
        {
          name: 'reserved instances',
          description:
            'Reserved-instance coupons (ri_…): list, split, merge or change spec, unsubscribe (SPEC §7)',
        },
        { name: 'alerts', description: 'Stock alerts: a mail and an event when stock reaches a minimum' },
        { name: 'webhooks', description: 'Endpoints that receive signed events, and their deliveries' },
        { name: 'admin', description: 'The operator API (SPEC §11)' },
        { name: 'usage', description: 'The proxy gateways: usage ingest and the authorize check' },
      ],
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A customer API key (od_live_…), for /v1. It never opens /admin/v1.',
          },
          sessionCookie: {
            type: 'apiKey',
            in: 'cookie',
            name: 'orderdesk_session',
            description:
              'The console’s session (POST /v1/signup or /v1/session sets it; HttpOnly, SameSite=Lax), for /v1. Every request with it other than GET and HEAD must also send the session’s csrf_token as the X-CSRF-Token header, else 403 forbidden. With an Authorization header too, the header decides.',
          },
          adminToken: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An operator admin token (bootstrap or managed), for /admin/v1. It never acts as a customer.',
          },
          webhookSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'Orderdesk-Signature',
            description:
              'How an endpoint checks an event came from orderdesk: t=<unix>,v1=<hex hmac-sha256(endpoint secret, "<t>.<body>")>',
          },
        },
        parameters: {
          IdempotencyKey: {
            name: 'Idempotency-Key',
            in: 'header',
            required: false,
            description:
              'Makes a retry safe: a repeat with the same key and body answers the stored response (Idempotent-Replayed: true) and does nothing again, for at least 24 h; the same key with another body is 422 idempotency_key_reused; while the first still runs, 409 request_in_progress. Scoped to the account (the operator API: to the operators).',
            schema: { type: 'string', minLength: 1, maxLength: 255 },
          },
        },
        headers: {
          RequestId: {
            description: 'The request’s id, also in the error envelope and the logs',
            schema: { type: 'string' },
          },
          IdempotentReplayed: {
            description: 'true: the stored response of an earlier request with the same Idempotency-Key',
            schema: { type: 'string', enum: ['true'] },
          },
          RetryAfter: {
            description: 'Seconds to wait before retrying',
            schema: { type: 'integer', minimum: 0 },
          },
        },
      },
    },

    transform(document) {
      const { schema, url, route } = document;
      const api = apiOf(url);
      if (!schema || schema.hide || !api) return jsonSchemaTransform(document);
      const { errors: _own, body, security, ...rest } = schema;
      if (body && (body as z.ZodType).safeParse(undefined).success)
        optionalBodies.add(`${route.method} ${url}`);
      if (!security) idempotentOps.add(`${route.method} ${url}`);
      return jsonSchemaTransform({
        ...document,
        schema: {
          ...rest,
          ...(body ? { body } : {}),
          response: documentedResponses({ method: route.method, url, schema }),
          security: security ?? SECURITY[api],
        },
      });
    },

    transformObject(document) {
      const doc = jsonSchemaTransformObject(document) as unknown as Document;
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) finishOperation(path, method.toUpperCase(), op);
      }
      doc.webhooks = {
        event: {
          post: {
            operationId: 'receiveEvent',
            summary: 'An event, POSTed to each endpoint that receives its type',
            tags: ['webhooks'],
            security: [{ webhookSignature: [] }],
            requestBody: {
              required: true,
              content: { 'application/json': { schema: ref('schemas', 'Event') } },
            },
            responses: {
              '2XX': { description: 'Delivered' },
              '4XX': { description: 'Not delivered: retried with exponential backoff for up to 3 days' },
              '5XX': { description: 'Not delivered (as is no answer in time): retried' },
            },
          },
        },
      };
      pruneUnusedSchemas(doc);
      return doc as ReturnType<SwaggerTransformObject>;
    },
  };

  /** Adds what an operation shares with its kind: the Idempotency-Key header, the response headers. */
  function finishOperation(path: string, method: string, op: Operation) {
    const idempotent =
      IDEMPOTENT_METHODS.has(method) && idempotentOps.has(`${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
    if (idempotent) op.parameters = [...(op.parameters ?? []), ref('parameters', 'IdempotencyKey')];
    // paths are written /v1/orders/{id}; the routes /v1/orders/:id
    if (op.requestBody && optionalBodies.has(`${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`)) {
      op.requestBody.required = false;
    }
    for (const [status, response] of Object.entries(op.responses)) {
      const headers: Record<string, unknown> = { 'Request-Id': ref('headers', 'RequestId') };
      if (idempotent && status.startsWith('2'))
        headers['Idempotent-Replayed'] = ref('headers', 'IdempotentReplayed');
      if (status === '429') headers['Retry-After'] = ref('headers', 'RetryAfter');
      response.headers = { ...response.headers, ...headers };
    }
  }
}

/**
 * Drops component schemas no operation reaches: the type provider emits every registered schema
 * twice (as a response and as an `…Input` request schema), and the request copies of the
 * response objects are never used.
 */
function pruneUnusedSchemas(doc: Document) {
  const schemas = doc.components.schemas;
  const used = new Set<string>();
  const visit = (node: unknown) => {
    for (const [, name] of JSON.stringify(node).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      if (used.has(name!)) continue;
      used.add(name!);
      visit(schemas[name!]);
    }
  };
  visit(doc.paths);
  visit(doc.webhooks);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
}

/**
 * The interactive docs at /docs. The logo is swagger-ui's own, read here: left to the plugin it is
 * an asynchronous file read at registration, one more wait on a start (docs/decisions.md,
 * "Start-up in seconds").
 */
export function docsOptions(): FastifySwaggerUiOptions {
  const pkg = createRequire(import.meta.url).resolve('@fastify/swagger-ui');
  return {
    routePrefix: '/docs',
    logo: {
      type: 'image/svg+xml',
      content: fs.readFileSync(path.join(path.dirname(pkg), 'static', 'logo.svg')),
    },
  };
}
