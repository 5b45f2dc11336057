/**
 * Response validation (src/http/response-validation.ts): every answer of a documented route is
 * read back as JSON and checked against the document. The harness turns it on for every test
 * file (a mismatch fails the file when it closes its app); these tests show it catches a drift
 * and leaves the money serializer alone.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stringify, usd } from '../src/contract/json.ts';
import '../src/http/openapi.ts';
import { type ResponseMismatch, validateResponses } from '../src/http/response-validation.ts';
import { type Harness, harness } from './support/harness.ts';

describe('the check', () => {
  let app: FastifyInstance;
  const found: ResponseMismatch[] = [];

  beforeAll(async () => {
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(() => (data) => stringify(data));
    validateResponses(app, (m) => found.push(m));
    const r = app.withTypeProvider<ZodTypeProvider>();
    const price = z.object({ object: z.literal('price'), amount_usd: z.number() });
    const route = (url: string, send: (res: FastifyReply) => unknown) =>
      r.get(url, { schema: { response: { 200: price }, errors: ['not_found'] } }, (_req, res) => {
        send(res);
      });
    route('/v1/good', (res) => res.send({ object: 'price', amount_usd: usd(22500) }));
    route('/v1/wrong-type', (res) => res.send({ object: 'price', amount_usd: 'free' } as never));
    route('/v1/extra-field', (res) => res.send({ object: 'price', amount_usd: usd(1), cents: 1 } as never));
    route('/v1/undocumented-status', (res) =>
      res.code(409).send({ error: { code: 'invalid_state' } } as never),
    );
    route('/v1/undocumented-code', (res) =>
      res.code(404).send({ error: { code: 'gone', message: 'x', request_id: 'req_1' } } as never),
    );
    route('/v1/documented-error', (res) =>
      res
        .code(404)
        .send({ error: { code: 'not_found', message: 'x', request_id: 'req_1', extra: 1 } } as never),
    );
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  const mismatchOf = async (url: string) => {
    found.length = 0;
    const res = await app.inject({ method: 'GET', url });
    return { res, found: [...found] };
  };

  it('a body that matches its schema passes, written with two decimals as before', async () => {
    const { res, found } = await mismatchOf('/v1/good');
    expect(found).toEqual([]);
    expect(res.body).toBe('{"object":"price","amount_usd":225.00}');
  });

  it('a field of the wrong type is a mismatch naming the field', async () => {
    const { found } = await mismatchOf('/v1/wrong-type');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ status: 200, url: '/v1/wrong-type' });
    expect(found[0]!.problem).toContain('amount_usd');
  });

  it('a field the schema does not name is a mismatch', async () => {
    const { found } = await mismatchOf('/v1/extra-field');
    expect(found.map((m) => m.problem)).toEqual(['cents: not in the schema']);
  });

  it('a status the route does not document is a mismatch', async () => {
    const { found } = await mismatchOf('/v1/undocumented-status');
    expect(found.map((m) => m.problem)).toEqual(['status 409 is not documented']);
  });

  it('an error code the status does not list is a mismatch; a listed one with detail fields passes', async () => {
    expect((await mismatchOf('/v1/undocumented-code')).found[0]!.problem).toContain('error.code');
    expect((await mismatchOf('/v1/documented-error')).found).toEqual([]);
  });
});

describe('on the real app (the harness turns it on for every test file)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers of each kind match: an order, a list, a 404, a 400, a 401 and an idempotent replay', async () => {
    const c = await h.customer({ balanceUsd: 500 });
    const headers = { 'idempotency-key': 'rv-1' };
    const body = { product: 'residential', gb: 50 };
    const placed = await h.call('POST', '/v1/orders', { key: c.key, body, headers });
    expect(placed.statusCode, placed.body).toBe(200);
    expect(placed.body).toContain('"total_usd":225.00');
    const replay = await h.call('POST', '/v1/orders', { key: c.key, body, headers });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await h.call('GET', '/v1/orders', { key: c.key })).statusCode).toBe(200);
    expect((await h.call('GET', '/v1/orders/ord_missing', { key: c.key })).statusCode).toBe(404);
    expect((await h.call('GET', '/v1/orders?product=gold', { key: c.key })).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/account')).statusCode).toBe(401);
    expect(h.responseMismatches).toEqual([]);
  });
});
