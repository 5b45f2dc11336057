/**
 * Deployable defaults (issue 13): the server listens on HOST (127.0.0.1 unless told), prints the
 * operator token only when it generated it, and the new variables are validated at start
 * (HOST, REDIS_URL, DATABASE_POOL_SIZE, ORDERDESK_METRICS_TOKEN, the abuse limits).
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { displayUrl, start } from '../src/main.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('configuration of the new variables', () => {
  it('defaults: HOST 127.0.0.1, no Redis, a pool of 10, /metrics open, 200 operator requests a second, 20 failed authentications a minute', () => {
    const c = loadConfig({});
    expect(c.host).toBe('127.0.0.1');
    expect(c.redisUrl).toBeUndefined();
    expect(c.databasePoolSize).toBe(10);
    expect(c.metricsToken).toBeUndefined();
    expect(c.rateLimit).toMatchObject({ adminPerSecond: 200, authFailuresPerMinute: 20, windowMs: 1000 });
  });

  it('reads them', () => {
    const c = loadConfig({
      HOST: '0.0.0.0',
      REDIS_URL: 'redis://cache:6379/2',
      DATABASE_POOL_SIZE: '25',
      ORDERDESK_METRICS_TOKEN: 'metrics-token-0123456789',
      ORDERDESK_RATE_ADMIN_PER_SECOND: '50',
      ORDERDESK_RATE_AUTH_FAILURES_PER_MINUTE: '5',
    });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      redisUrl: 'redis://cache:6379/2',
      databasePoolSize: 25,
      metricsToken: 'metrics-token-0123456789',
      rateLimit: { adminPerSecond: 50, authFailuresPerMinute: 5 },
    });
    expect(loadConfig({ HOST: '::' }).host).toBe('::');
    expect(loadConfig({ HOST: 'api.internal' }).host).toBe('api.internal');
    expect(loadConfig({ REDIS_URL: 'rediss://secure:6380' }).redisUrl).toBe('rediss://secure:6380');
  });

  it.each([
    ['HOST', 'not a host!'],
    ['HOST', '-bad.example'],
    ['REDIS_URL', 'http://cache:6379'],
    ['REDIS_URL', 'not a url'],
    ['DATABASE_POOL_SIZE', '0'],
    ['DATABASE_POOL_SIZE', 'ten'],
    ['DATABASE_POOL_SIZE', '1001'],
    ['ORDERDESK_METRICS_TOKEN', 'short'],
    ['ORDERDESK_RATE_ADMIN_PER_SECOND', '0'],
    ['ORDERDESK_RATE_AUTH_FAILURES_PER_MINUTE', 'many'],
  ])('%s=%s stops the start with a message naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('the printed URL: a wildcard address as localhost, an IPv6 literal in brackets', () => {
    expect(displayUrl('127.0.0.1', 8080)).toBe('http://127.0.0.1:8080');
    expect(displayUrl('0.0.0.0', 8080)).toBe('http://localhost:8080');
    expect(displayUrl('::', 80)).toBe('http://localhost:80');
    expect(displayUrl('::1', 8080)).toBe('http://[::1]:8080');
  });
});

/** Starts the server with `env`, returns what it printed and where it listens. */
async function startPrinting(env: Record<string, string>) {
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const s = await start(env);
    const printed = out.mock.calls.map((c) => String(c[0])).join('');
    const address = s.app.server.address() as AddressInfo;
    await s.shutdown();
    return { printed, address, url: s.url };
  } finally {
    out.mockRestore();
  }
}

function dataDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-security-start-'));
  dirs.push(d);
  return d;
}

describe('npm start: HOST and the operator token', () => {
  it('listens on 127.0.0.1 by default; prints a generated token once, never again on a restart', async () => {
    const dir = dataDir();
    const env = { PORT: '0', DATA_DIR: dir, LOG_LEVEL: 'silent', ORDERDESK_DEMO: '0' };
    const first = await startPrinting(env);
    expect(first.address.address).toBe('127.0.0.1');
    expect(first.url).toBe(`http://127.0.0.1:${first.address.port}`);
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    expect(first.printed).toContain(`admin token (generated, kept in DATA_DIR/admin-token): ${token}`);

    const second = await startPrinting(env);
    expect(second.printed).not.toContain(token);
    expect(second.printed).toContain('admin token: in DATA_DIR/admin-token (not shown)');
  });

  it('a token from ORDERDESK_ADMIN_TOKEN is never printed; HOST decides the address', async () => {
    const given = 'operator-given-token-0123456789';
    const r = await startPrinting({
      PORT: '0',
      DATA_DIR: dataDir(),
      LOG_LEVEL: 'silent',
      ORDERDESK_DEMO: '0',
      ORDERDESK_ADMIN_TOKEN: given,
      HOST: '0.0.0.0',
    });
    expect(r.printed).not.toContain(given);
    expect(r.printed).toContain('admin token: from ORDERDESK_ADMIN_TOKEN (not shown)');
    expect(r.address.address).toBe('0.0.0.0');
    expect(r.url).toBe(`http://localhost:${r.address.port}`);
  });
});
