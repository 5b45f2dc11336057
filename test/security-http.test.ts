/**
 * Security headers and guards (issue 13 item 1): helmet's headers with a CSP the console and
 * /docs work under, `Cache-Control: no-store` on every API answer (and so on each that carries a
 * new key, token, webhook secret, proxy password or session), /metrics behind an optional token,
 * and display names trimmed with control and bidi-override characters refused (400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness({ ORDERDESK_RATE_LOGINS_PER_MINUTE: '1000', ORDERDESK_RATE_SIGNUPS_PER_HOUR: '1000' });
});
afterAll(async () => {
  await h?.close();
});

describe('security headers (helmet)', () => {
  it('an API answer, an error, the console and /docs carry nosniff, a CSP, frame and referrer policies', async () => {
    const c = await h.customer();
    for (const res of [
      await h.call('GET', '/v1/orders', { key: c.key }),
      await h.call('GET', '/v1/orders'),
      await h.call('GET', '/nowhere'),
      await h.app.inject({ method: 'GET', url: '/docs/' }),
      await h.app.inject({ method: 'GET', url: '/healthz' }),
    ]) {
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      const csp = String(res.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      // antd's CSS-in-JS writes <style> elements: inline styles must be allowed, inline scripts not
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('upgrade-insecure-requests');
    }
  });

  it('/docs stays public and its page loads only same-origin scripts (no inline script the CSP would block)', async () => {
    const page = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/);
    for (const m of page.body.matchAll(/<script src="([^"]+)"/g)) expect(m[1]).not.toMatch(/^https?:/);
    expect((await h.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });
});

describe('Cache-Control: no-store', () => {
  const noStore = (res: { headers: Record<string, unknown> }) =>
    expect(res.headers['cache-control']).toBe('no-store');

  it('on every answer that carries a new secret: API keys, operator tokens, webhook secrets, sessions', async () => {
    const c = await h.customer();
    const key = await h.call('POST', '/v1/api-keys', { key: c.key, body: { name: 'ci' } });
    expect(key.statusCode).toBe(200);
    noStore(key);
    const adminKey = await h.call('POST', `/admin/v1/accounts/${c.id}/api-keys`, { admin: true, body: {} });
    expect(adminKey.statusCode).toBe(200);
    noStore(adminKey);
    const token = await h.call('POST', '/admin/v1/admin-tokens', { admin: true, body: { name: 'ops' } });
    expect(token.statusCode).toBe(200);
    noStore(token);
    const hook = await h.call('POST', '/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/hooks' },
    });
    expect(hook.statusCode).toBe(200);
    expect(hook.json().secret).toBeTruthy();
    noStore(hook);
    const adminHook = await h.call('POST', '/admin/v1/webhook-endpoints', {
      admin: true,
      body: { url: 'https://example.com/ops-hooks' },
    });
    expect(adminHook.statusCode).toBe(200);
    noStore(adminHook);

    const email = `no-store-${Date.now()}@example.com`;
    const signup = await h.call('POST', '/v1/signup', {
      body: { email, password: 'a-good-password', name: 'No Store' },
    });
    expect(signup.statusCode).toBe(200);
    noStore(signup);
    const login = await h.call('POST', '/v1/session', { body: { email, password: 'a-good-password' } });
    expect(login.statusCode).toBe(200);
    noStore(login);
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    const session = await h.call('GET', '/v1/session', { headers: { cookie } });
    expect(session.statusCode).toBe(200);
    expect(session.json().csrf_token).toBeTruthy();
    noStore(session);
  });

  it('on ISP batch credentials: the batch, its proxy list with passwords, a rotated password', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64999, count: 5 });
    const order = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 64999, quantity: 5, months: 1 },
    });
    expect(order.statusCode, order.body).toBe(200);
    const batchId = order.json().details.batch_id as string;
    expect(
      (await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 120 } })).statusCode,
    ).toBe(200);
    for (const res of [
      await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key }),
      await h.call('GET', `/v1/isp/batches/${batchId}/ips?format=plain`, { key: c.key }),
      await h.call('GET', `/v1/isp/batches/${batchId}/ips?format=csv`, { key: c.key }),
      await h.call('POST', `/v1/isp/batches/${batchId}/rotate-password`, { key: c.key }),
    ]) {
      expect(res.statusCode, res.body).toBe(200);
      noStore(res);
    }
  });

  it('not on the console and the public documents (they hold no secret)', async () => {
    const docs = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(docs.headers['cache-control']).not.toBe('no-store');
  });
});

describe('/metrics behind ORDERDESK_METRICS_TOKEN', () => {
  it('open without a token configured', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
  });

  it('with one: 401 without it or with a wrong one, 200 with Authorization: Bearer <token>', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const app = await buildApp(
      { ...h.deps, config: { ...h.deps.config, metricsToken: token } },
      { console: false },
    );
    try {
      const none = await app.inject({ method: 'GET', url: '/metrics' });
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('unauthenticated');
      expect(none.headers['www-authenticate']).toContain('Bearer');
      const wrong = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: 'Bearer not-the-token-at-all' },
      });
      expect(wrong.statusCode).toBe(401);
      const admin = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(admin.statusCode).toBe(401);
      const right = await app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(right.statusCode).toBe(200);
      expect(right.body).toContain('orderdesk_http_request_duration_seconds');
    } finally {
      await app.close();
    }
  });
});

describe('display names: trimmed; empty, control and bidi characters refused (400)', () => {
  const BAD: [string, string][] = [
    ['only spaces', '   '],
    ['a tab inside', 'team\tb'],
    ['a newline inside', 'team\nb'],
    ['an escape (C0)', 'team\u001bb'],
    ['DEL', 'team\u007fb'],
    ['a C1 control', 'team\u0085b'],
    ['U+202E right-to-left override', 'invoice\u202Etxt.exe'],
    ['U+202A left-to-right embedding', '\u202Aname'],
    ['U+2066 left-to-right isolate', 'a\u2066b'],
    ['U+2069 pop directional isolate', 'a\u2069b'],
  ];

  it.each(BAD)('%s is refused on every name field', async (_what, bad) => {
    const c = await h.customer();
    const cases: [string, Parameters<Harness['call']>, string][] = [
      [
        'account name',
        [
          'POST',
          '/admin/v1/accounts',
          { admin: true, body: { email: `n${Date.now()}@example.com`, name: bad } },
        ],
        'name',
      ],
      [
        'signup name',
        [
          'POST',
          '/v1/signup',
          { body: { email: `s${Date.now()}@example.com`, password: 'a-good-password', name: bad } },
        ],
        'name',
      ],
      ['subuser name', ['POST', '/v1/subusers', { key: c.key, body: { name: bad } }], 'name'],
      ['API key name', ['POST', '/v1/api-keys', { key: c.key, body: { name: bad } }], 'name'],
      [
        'API key name (operator)',
        ['POST', `/admin/v1/accounts/${c.id}/api-keys`, { admin: true, body: { name: bad } }],
        'name',
      ],
      [
        'operator token name',
        ['POST', '/admin/v1/admin-tokens', { admin: true, body: { name: bad } }],
        'name',
      ],
      [
        'webhook description',
        [
          'POST',
          '/v1/webhook-endpoints',
          { key: c.key, body: { url: 'https://example.com/h', description: bad } },
        ],
        'description',
      ],
      [
        'KYC legal name',
        [
          'POST',
          '/v1/kyc',
          { key: c.key, body: { legal_name: bad, country: 'us', document_reference: 'X1' } },
        ],
        'legal_name',
      ],
    ];
    for (const [what, args, param] of cases) {
      const res = await h.call(...args);
      expect(res.statusCode, `${what}: ${res.body}`).toBe(400);
      expect(res.json().error, what).toMatchObject({ code: 'invalid_request', param });
    }
  });

  it('names are stored trimmed; letters of any script, emoji and inner spaces pass', async () => {
    const c = await h.customer();
    const sub = await h.call('POST', '/v1/subusers', { key: c.key, body: { name: '  Équipe 東京 🚀  ' } });
    expect(sub.statusCode).toBe(200);
    expect(sub.json().name).toBe('Équipe 東京 🚀');
    const acc = await h.call('POST', '/admin/v1/accounts', {
      admin: true,
      body: { email: `trim-${Date.now()}@example.com`, name: '  Acme Ltd  ' },
    });
    expect(acc.statusCode).toBe(200);
    expect(acc.json().name).toBe('Acme Ltd');
    const hook = await h.call('POST', '/v1/webhook-endpoints', {
      key: c.key,
      body: { url: 'https://example.com/h2', description: ' billing events ' },
    });
    expect(hook.statusCode).toBe(200);
    expect(hook.json().description).toBe('billing events');
  });
});
