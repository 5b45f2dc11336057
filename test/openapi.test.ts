/**
 * The OpenAPI document (SPEC §1) as a client reads it from GET /openapi.json: every operation is
 * named, tagged, secured by its API's scheme and documents its bodies and errors; the shared
 * headers and the request bounds of the server are in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

// biome-ignore lint/suspicious/noExplicitAny: the document is JSON, walked by the paths the assertions name
type Doc = Record<string, any>;

let h: Harness;
let doc: Doc;
let operations: { path: string; method: string; op: Doc }[];

beforeAll(async () => {
  h = await harness();
  const res = await h.call('GET', '/openapi.json');
  expect(res.statusCode).toBe(200);
  doc = res.json();
  operations = Object.entries(doc.paths as Record<string, Doc>).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Doc })),
  );
});
afterAll(async () => {
  await h?.close();
});

/** A `$ref` into the document's components, resolved. */
function resolve(node: Doc): Doc {
  if (typeof node.$ref !== 'string') return node;
  return (node.$ref as string)
    .slice(2)
    .split('/')
    .reduce((at: Doc, key) => at[key], doc);
}

/** The console's sign-up and login (no credentials) and its session (the cookie only): no account, no Idempotency-Key. */
const PUBLIC_OPERATIONS = new Set(['POST /v1/signup', 'POST /v1/session']);
const COOKIE_ONLY_OPERATIONS = new Set(['GET /v1/session', 'DELETE /v1/session']);

const requestBody = (path: string, method: string) => doc.paths[path][method].requestBody as Doc;
const bodyProperty = (path: string, method: string, name: string): Doc => {
  const schema = requestBody(path, method).content['application/json'].schema as Doc;
  const objects = (schema.anyOf ?? schema.oneOf ?? [schema]) as Doc[];
  return objects.find((o) => o.properties?.[name])!.properties[name];
};

describe('GET /openapi.json', () => {
  it('documents every operation of both APIs', () => {
    expect(operations.length).toBeGreaterThanOrEqual(73);
    expect(operations.every((o) => o.path.startsWith('/v1/') || o.path.startsWith('/admin/v1/'))).toBe(true);
  });

  it('every operation has a unique camelCase operationId and tags', () => {
    const ids = operations.map((o) => o.op.operationId);
    for (const { path, method, op } of operations) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][a-zA-Z0-9]*$/);
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every operation documents a 2xx body with a schema and at least one 4xx error envelope', () => {
    for (const { path, method, op } of operations) {
      const statuses = Object.keys(op.responses);
      const ok = statuses.filter((s) => s.startsWith('2'));
      expect(ok.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const s of ok) {
        if (s === '204') continue;
        const content = Object.values(op.responses[s].content ?? {}) as Doc[];
        expect(content.length, `${method} ${path} ${s}`).toBeGreaterThan(0);
        for (const c of content) expect(c.schema, `${method} ${path} ${s}`).toBeDefined();
      }
      const errors = statuses.filter((s) => s.startsWith('4'));
      expect(errors.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const s of errors) {
        const schema = op.responses[s].content['application/json'].schema as Doc;
        expect(schema.properties.error.properties.code.enum.length, `${method} ${path} ${s}`).toBeGreaterThan(
          0,
        );
      }
    }
  });

  it('customer keys (or the console session) and admin tokens are security schemes, each operation names its own', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.sessionCookie).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'orderdesk_session',
    });
    expect(doc.security).toBeUndefined();
    for (const { path, method, op } of operations) {
      const at = `${method} ${path}`;
      if (PUBLIC_OPERATIONS.has(at) || COOKIE_ONLY_OPERATIONS.has(at)) {
        expect(op.security, at).toEqual(PUBLIC_OPERATIONS.has(at) ? [] : [{ sessionCookie: [] }]);
        // no account to scope a key to before login: the console's session operations take none
        const params = ((op.parameters ?? []) as Doc[]).map(resolve);
        expect(
          params.some((p) => p.name === 'Idempotency-Key'),
          at,
        ).toBe(false);
        if (method !== 'POST' || path !== '/v1/signup') expect(op.responses['401'], at).toBeDefined();
        continue;
      }
      if (path.startsWith('/admin/v1/')) {
        expect(op.security, at).toEqual([{ adminToken: [] }]);
        expect(op.responses['401'], at).toBeDefined();
        expect(op.responses['403'], at).toBeDefined();
        continue;
      }
      expect(op.security, at).toEqual([{ apiKey: [] }, { sessionCookie: [] }]);
      expect(op.responses['401'], at).toBeDefined();
      expect(op.responses['429'], at).toBeDefined();
      // a cookie-authenticated write without its X-CSRF-Token
      if (method !== 'GET') expect(op.responses['403']?.description, at).toContain('forbidden');
    }
    expect(doc.paths['/v1/session'].post.responses['429']).toBeDefined();
  });

  it('every POST and DELETE documents Idempotency-Key (1–255 chars), its replay header and its 409/422', () => {
    const writes = operations.filter(
      (o) =>
        (o.method === 'POST' || o.method === 'DELETE') &&
        !PUBLIC_OPERATIONS.has(`${o.method} ${o.path}`) &&
        !COOKIE_ONLY_OPERATIONS.has(`${o.method} ${o.path}`),
    );
    expect(writes.length).toBeGreaterThan(30);
    for (const { path, method, op } of writes) {
      const params = ((op.parameters ?? []) as Doc[]).map(resolve);
      const key = params.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
      expect(key, `${method} ${path}`).toMatchObject({ schema: { minLength: 1, maxLength: 255 } });
      expect(key!.required).toBe(false);
      const ok = Object.keys(op.responses).find((s) => s.startsWith('2'))!;
      expect(resolve(op.responses[ok].headers['Idempotent-Replayed']).schema.enum).toEqual(['true']);
      expect(op.responses['409'].description, `${method} ${path}`).toContain('request_in_progress');
      expect(op.responses['422'].description, `${method} ${path}`).toContain('idempotency_key_reused');
    }
    const reads = operations.filter((o) => o.method === 'GET');
    for (const { op } of reads) {
      expect(((op.parameters ?? []) as Doc[]).map(resolve).some((p) => p.name === 'Idempotency-Key')).toBe(
        false,
      );
    }
  });

  it('every response documents Request-Id; a 429 documents Retry-After', () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses as Record<string, Doc>)) {
        expect(resolve(response.headers['Request-Id']).schema.type, `${method} ${path} ${status}`).toBe(
          'string',
        );
        if (status === '429') expect(resolve(response.headers['Retry-After']).schema.type).toBe('integer');
      }
    }
  });

  it('optional bodies are optional', () => {
    for (const [path, method] of [
      ['/v1/orders/{id}/pay', 'post'],
      ['/v1/orders/{id}/cancel', 'post'],
      ['/v1/subusers', 'post'],
      ['/v1/isp/batches/{id}/rotate-password', 'post'],
      ['/v1/isp/batches/{id}/refresh', 'post'],
      ['/admin/v1/accounts/{id}/api-keys', 'post'],
      ['/admin/v1/admin-tokens', 'post'],
      ['/admin/v1/orders/{id}/refund/retry', 'post'],
    ] as const) {
      expect(requestBody(path, method).required, `${method} ${path}`).toBe(false);
    }
    expect(requestBody('/v1/orders', 'post').required).toBe(true);
  });

  it('request bounds are the server’s: gb 1–100,000 and quantity 5–5,000 (integers), asn ≥ 1', () => {
    expect(bodyProperty('/v1/orders', 'post', 'gb')).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 100_000,
    });
    expect(bodyProperty('/v1/orders', 'post', 'quantity')).toMatchObject({
      type: 'integer',
      minimum: 5,
      maximum: 5000,
    });
    expect(bodyProperty('/v1/orders', 'post', 'asn')).toMatchObject({ type: 'integer', minimum: 1 });
    expect(bodyProperty('/v1/billing/top-ups', 'post', 'amount_usd').description).toContain('two decimals');
  });

  it('the list filters name their values: product is one of the catalog’s products', () => {
    const product = (doc.paths['/v1/orders'].get.parameters as Doc[]).find((p) => p.name === 'product')!;
    expect(product.schema.enum).toEqual(['residential', 'mobile', 'isp', 'server', 'reserved_instance']);
  });

  it('the public objects are named components; amounts are numbers and paid_usd says what it is', () => {
    const order = doc.components.schemas.Order as Doc;
    expect(order.properties.total_usd.type).toBe('number');
    expect(order.properties.paid_usd.description).toMatch(/card \+ balance/);
    expect(order.properties.cancel_at.description).toMatch(/pending_payment/);
    expect(doc.components.schemas.RefundPlan.properties.paid_usd).toBeUndefined();
    expect(doc.components.schemas.RefundPlan.properties.paid_total_usd.type).toBe('number');
    expect(JSON.stringify(doc.components.schemas)).not.toMatch(/_cents"/);
    expect(doc.webhooks.event.post.requestBody.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Event',
    });
  });
});
