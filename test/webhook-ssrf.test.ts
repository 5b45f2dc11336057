/**
 * Webhook targets must be public (SSRF): with Config.webhookPrivateTargets off (the production
 * default) registration refuses loopback, link-local, private IP literals and `localhost`, and
 * delivery refuses to connect to a non-public address — checked on the address it connects to.
 * The harness turns the flag on (its receivers are on 127.0.0.1); this file runs a second app and
 * worker over the same database with it off.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deps } from '../src/app/deps.ts';
import { deliverDueWebhooks } from '../src/app/webhooks/deliver-due-webhooks.ts';
import { loadConfig } from '../src/config.ts';
import { buildApp } from '../src/http/app.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';
import { receiverPool } from './support/webhook-receiver.ts';

let h: Harness;
/** the same database and clock, webhookPrivateTargets off */
let strict: Deps;
let strictApp: FastifyInstance;
beforeAll(async () => {
  h = await harness();
  strict = { ...h.deps, config: { ...h.deps.config, webhookPrivateTargets: false } };
  strictApp = await buildApp(strict);
  await strictApp.ready();
});
afterAll(async () => {
  await strictApp?.close();
  await h?.close();
});

const pool = receiverPool();
afterAll(async () => {
  await pool.closeAll();
});

const REFUSAL = "the endpoint's address is not public";

function register(app: FastifyInstance, auth: string, path: string, url: string) {
  return app.inject({
    method: 'POST',
    url: path,
    headers: { authorization: `Bearer ${auth}` },
    payload: { url },
  });
}

describe('webhook targets must be public (SSRF)', () => {
  it('the flag is off by default and no environment variable turns it on', () => {
    expect(loadConfig({}).webhookPrivateTargets).toBe(false);
    expect(loadConfig({ ORDERDESK_WEBHOOK_PRIVATE_TARGETS: '1' }).webhookPrivateTargets).toBe(false);
  });

  it.each([
    'http://127.0.0.1:1/x',
    'http://169.254.169.254/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.0.0.5/hook',
    'https://192.168.1.1/hook',
    'http://0/',
    'http://2130706433/',
    'http://localhost/',
    'http://localhost:8080/internal',
    'http://api.localhost./',
  ])('registering %s is 400 invalid_request on url, for accounts and operators', async (url) => {
    const c = await h.customer();
    for (const [auth, path] of [
      [c.key, '/v1/webhook-endpoints'],
      [ADMIN_TOKEN, '/admin/v1/webhook-endpoints'],
    ] as const) {
      const res = await register(strictApp, auth, path, url);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'url' });
    }
    const listed = await strictApp.inject({
      method: 'GET',
      url: '/v1/webhook-endpoints',
      headers: { authorization: `Bearer ${c.key}` },
    });
    expect(listed.json().data).toEqual([]);
  });

  it.each(['https://example.com/hooks', 'https://8.8.8.8/hooks', 'https://[2606:4700:4700::1111]/hooks'])(
    'a public target %s is accepted',
    async (url) => {
      const c = await h.customer();
      const res = await register(strictApp, c.key, '/v1/webhook-endpoints', url);
      expect(res.statusCode).toBe(200);
    },
  );

  it('an endpoint on 127.0.0.1 (literal or localhost) registered while allowed is not sent to with the flag off: the refusal is the last_error, retried', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const r = await pool.receiver();
    const byName = r.url.replace('127.0.0.1', 'localhost');
    const ids: string[] = [];
    for (const url of [r.url, byName]) {
      const res = await h.call('POST', '/v1/webhook-endpoints', {
        key: c.key,
        body: { url, events: ['order.paid'] },
      });
      expect(res.statusCode).toBe(200);
      ids.push(res.json().id);
    }
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 1 },
    });
    expect(placed.statusCode).toBe(200);
    const t0 = (await h.clock.now()).getTime();

    const run = await deliverDueWebhooks(strict);
    expect(run).toEqual({ delivered: 0, retrying: 2, failed: 0 });
    expect(r.got).toHaveLength(0);
    for (const id of ids) {
      const list = await h.call('GET', `/v1/webhook-endpoints/${id}/deliveries`, { key: c.key });
      expect(list.json().data).toMatchObject([
        {
          status: 'pending',
          attempts: 1,
          last_status: null,
          last_error: REFUSAL,
          next_attempt_at: new Date(t0 + 30_000).toISOString(),
          delivered_at: null,
        },
      ]);
    }

    // the retry is refused the same way
    await h.clock.advance(30);
    expect(await deliverDueWebhooks(strict)).toEqual({ delivered: 0, retrying: 2, failed: 0 });
    expect(r.got).toHaveLength(0);
  });
});
