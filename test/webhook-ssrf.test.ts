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
import { isNonPublicAddress } from '../src/app/webhooks/public-only-lookup.ts';
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
    // special-purpose ranges the hand-made list missed (issue 13)
    'http://[2001::1]/',
    'http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/teredo',
    'http://[2001:1::1]/',
    'http://[fec0::1]/',
    'http://[100::1]/',
    'http://192.88.99.1/',
    'http://[::ffff:192.88.99.1]/',
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

/**
 * The ranges the adversarial run found treated as public (issue 13), and other special-purpose
 * ranges of ipaddr.js's table: [range, first, last, public neighbour below, above] (null: none
 * to check, e.g. the neighbour is itself special).
 */
const SPECIAL_RANGES: [string, string, string, string | null, string | null][] = [
  ['2001::/32 Teredo', '2001::', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff', null, null],
  [
    '2001::/23 IETF protocol assignments',
    '2001:1::1',
    '2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff',
    null,
    '2001:200::',
  ],
  ['fec0::/10 site-local', 'fec0::', 'feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null, null],
  [
    '100::/64 discard',
    '100::',
    '100::ffff:ffff:ffff:ffff',
    'ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    '100:0:0:1::',
  ],
  ['192.88.99.0/24 6to4 relay', '192.88.99.0', '192.88.99.255', '192.88.98.255', '192.88.100.0'],
  ['64:ff9b:1::/48 local NAT64', '64:ff9b:1::', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', null, null],
  ['255.255.255.255 broadcast', '255.255.255.255', '255.255.255.255', null, null],
  ['::ffff:0:0:0/96 SIIT', '::ffff:0:0:0', '::ffff:0:ffff:ffff', null, null],
  [
    '::ffff:10.0.0.0/104 IPv4-mapped private',
    '::ffff:10.0.0.0',
    '::ffff:10.255.255.255',
    null,
    '::ffff:11.0.0.0',
  ],
];

describe('the SSRF guard classifies with ipaddr.js: every special-purpose range is refused', () => {
  it.each(SPECIAL_RANGES)('%s: %s to %s are not public', (_range, first, last, below, above) => {
    expect(isNonPublicAddress(first)).toBe(true);
    expect(isNonPublicAddress(last)).toBe(true);
    if (below) expect(isNonPublicAddress(below)).toBe(false);
    if (above) expect(isNonPublicAddress(above)).toBe(false);
  });

  it('public addresses stay public: 8.8.8.8, 1.1.1.1, 2606:4700:4700::1111, 2a00:1450::1, ::ffff:8.8.8.8', () => {
    for (const ip of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8']) {
      expect(isNonPublicAddress(ip), ip).toBe(false);
    }
  });
});
