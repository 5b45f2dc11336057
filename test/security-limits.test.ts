/**
 * Rate limits under abuse (issue 13 item 1, SPEC §12 REDIS_URL):
 *  - with REDIS_URL, two API processes (two apps on one database) share the counters through
 *    @fastify/rate-limit's own Redis store: N requests per account in a window, not 2N; without
 *    it each process counts alone (the figure printed next to it);
 *  - failed authentication (unknown API key, admin token, session cookie) is counted per client
 *    address: past the limit every credentialed request from it is 429 with Retry-After, a right
 *    one too, across processes with Redis; other addresses are untouched;
 *  - the operator API is limited per token.
 * Redis is the machine's (127.0.0.1:6379; .ci/run starts it); every test uses its own key
 * prefix. The windows are widened to a minute so no count depends on how fast the test runs.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.ts';
import { buildApp } from '../src/http/app.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const WINDOW_MS = 60_000;

let h: Harness;
const apps: FastifyInstance[] = [];
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await h?.close();
});

/** One more API "process" on the harness's database: its own app, limits and (optionally) Redis. */
async function processOn(
  limits: Partial<Deps['config']['rateLimit']>,
  redis: { prefix: string } | null,
): Promise<FastifyInstance> {
  const deps: Deps = {
    ...h.deps,
    config: {
      ...h.deps.config,
      redisUrl: redis ? REDIS_URL : undefined,
      rateLimit: {
        ...h.deps.config.rateLimit,
        windowMs: WINDOW_MS,
        ...(redis ? { redisPrefix: redis.prefix } : {}),
        ...limits,
      },
    },
  };
  const app = await buildApp(deps, { console: false });
  await app.ready();
  apps.push(app);
  return app;
}

const prefix = () => `orderdesk:test:${randomUUID()}:`;

function get(app: FastifyInstance, url: string, auth: string | null, extra: Partial<InjectOptions> = {}) {
  return app.inject({
    method: 'GET',
    url,
    headers: auth ? { authorization: `Bearer ${auth}` } : {},
    ...extra,
  });
}

function tally(statuses: number[]) {
  const out: Record<number, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

describe('per-account limits across processes (REDIS_URL)', () => {
  it('two processes sharing one Redis allow 5 reads per account in the window, not 10; another account keeps its own 5', async () => {
    const redis = { prefix: prefix() };
    const a = await processOn({ readsPerSecond: 5 }, redis);
    const b = await processOn({ readsPerSecond: 5 }, redis);
    const c = await h.customer();
    const other = await h.customer();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await get(i % 2 === 0 ? a : b, '/v1/orders', c.key);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) {
        expect(res.json().error.code).toBe('rate_limited');
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    }
    console.log(`shared Redis, 2 processes, limit 5: ${JSON.stringify(tally(statuses))}`);
    expect(tally(statuses)).toEqual({ 200: 5, 429: 7 });
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    for (const app of [a, b]) expect((await get(app, '/v1/orders', other.key)).statusCode).toBe(200);
  });

  it('writes and reads are counted apart, per account, across the processes', async () => {
    const redis = { prefix: prefix() };
    const a = await processOn({ writesPerSecond: 2, readsPerSecond: 100 }, redis);
    const b = await processOn({ writesPerSecond: 2, readsPerSecond: 100 }, redis);
    const c = await h.customer();
    const statuses: number[] = [];
    for (const app of [a, b, a, b]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: { authorization: `Bearer ${c.key}` },
        payload: { name: 'ci' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect((await get(b, '/v1/orders', c.key)).statusCode).toBe(200);
  });

  it('without REDIS_URL each process counts alone: the same 12 reads pass 10 times (the per-process limit the issue found)', async () => {
    const a = await processOn({ readsPerSecond: 5 }, null);
    const b = await processOn({ readsPerSecond: 5 }, null);
    const c = await h.customer();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await get(i % 2 === 0 ? a : b, '/v1/orders', c.key)).statusCode);
    console.log(`in-process counters, 2 processes, limit 5: ${JSON.stringify(tally(statuses))}`);
    expect(tally(statuses)).toEqual({ 200: 10, 429: 2 });
  });

  it('login attempts per address are shared across the processes too', async () => {
    const redis = { prefix: prefix() };
    const a = await processOn({ loginsPerMinute: 3 }, redis);
    const b = await processOn({ loginsPerMinute: 3 }, redis);
    const statuses: number[] = [];
    for (const app of [a, b, a, b]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/session',
        payload: { email: 'nobody@example.com', password: 'wrong-password' },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('a REDIS_URL that cannot be reached stops the start with a message naming it', async () => {
    const deps: Deps = { ...h.deps, config: { ...h.deps.config, redisUrl: 'redis://127.0.0.1:1' } };
    await expect(buildApp(deps, { console: false })).rejects.toThrow(/REDIS_URL/);
  });
});

describe('failed authentication is throttled per client address', () => {
  it('3 wrong admin tokens are 401, then the address gets 429 with Retry-After, even with the right token; another address is untouched', async () => {
    const app = await processOn({ authFailuresPerMinute: 3 }, null);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await get(app, '/admin/v1/accounts', `adm_guess_${i}`)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const right = await get(app, '/admin/v1/accounts', ADMIN_TOKEN);
    expect(right.statusCode).toBe(429);
    expect(right.json().error.code).toBe('rate_limited');
    const wait = Number(right.headers['retry-after']);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(
      (await get(app, '/admin/v1/accounts', ADMIN_TOKEN, { remoteAddress: '10.9.8.7' })).statusCode,
    ).toBe(200);
  });

  it('wrong API keys and session cookies count the same; requests without any credential do not count', async () => {
    const app = await processOn({ authFailuresPerMinute: 3 }, null);
    const c = await h.customer();
    const addr = { remoteAddress: '192.0.2.10' };
    for (let i = 0; i < 10; i++) expect((await get(app, '/v1/orders', null, addr)).statusCode).toBe(401);
    expect((await get(app, '/v1/orders', c.key, addr)).statusCode).toBe(200);
    expect((await get(app, '/v1/orders', 'od_live_wrong', addr)).statusCode).toBe(401);
    const cookie = await app.inject({
      method: 'GET',
      url: '/v1/orders',
      cookies: { orderdesk_session: 'not-a-session' },
      ...addr,
    });
    expect(cookie.statusCode).toBe(401);
    expect((await get(app, '/admin/v1/accounts', 'adm_wrong', addr)).statusCode).toBe(401);
    const after = await get(app, '/v1/orders', c.key, addr);
    expect(after.statusCode).toBe(429);
    expect(after.headers['retry-after']).toBeDefined();
  });

  it('with REDIS_URL the failures of one address add up across processes', async () => {
    const redis = { prefix: prefix() };
    const a = await processOn({ authFailuresPerMinute: 3 }, redis);
    const b = await processOn({ authFailuresPerMinute: 3 }, redis);
    const c = await h.customer();
    const statuses: number[] = [];
    for (const app of [a, b, a]) statuses.push((await get(app, '/v1/orders', 'od_live_guess')).statusCode);
    statuses.push((await get(b, '/v1/orders', c.key)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});

describe('the operator API is limited per token', () => {
  it('past adminPerSecond requests in the window: 429 rate_limited with Retry-After', async () => {
    const app = await processOn({ adminPerSecond: 3 }, null);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await get(app, '/admin/v1/accounts', ADMIN_TOKEN);
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
