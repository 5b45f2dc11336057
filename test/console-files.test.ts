/**
 * The console's files as the API process serves them (src/http/console.ts, SPEC §10): hashed
 * assets cached for good, everything else revalidated; a console route answers index.html (a
 * reload of /billing/orders works); API paths, other methods and a missing console stay the
 * API's JSON 404; nothing outside the folder is served. A folder of its own, so the test does not
 * need `npm run build:web`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/http/app.ts';
import { makeDeps } from './support/harness.ts';
import { freshDb, type TestDb } from './support/test-db.ts';

const INDEX = '<!doctype html><title>orderdesk console</title>';
const ASSET = 'console.log("app")';

describe('the console files', () => {
  let t: TestDb;
  let app: FastifyInstance;
  let bare: FastifyInstance;
  let dir: string;
  let empty: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-console-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), INDEX);
    fs.writeFileSync(path.join(dir, 'assets', 'index-Bx3k9q.js'), ASSET);
    fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    empty = fs.mkdtempSync(path.join(os.tmpdir(), 'orderdesk-no-console-'));
    t = await freshDb();
    const { deps } = await makeDeps(t.db);
    app = await buildApp(deps, { consoleDir: dir });
    bare = await buildApp(deps, { consoleDir: empty });
  });
  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await t?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('serves a hashed asset as immutable, and HEAD answers the same headers without a body', async () => {
    const get = await app.inject({ method: 'GET', url: '/assets/index-Bx3k9q.js' });
    expect(get.statusCode).toBe(200);
    expect(get.body).toBe(ASSET);
    expect(get.headers['content-type']).toMatch(/javascript/);
    expect(get.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const head = await app.inject({ method: 'HEAD', url: '/assets/index-Bx3k9q.js' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(String(ASSET.length));
  });

  it('serves other files and the console’s own routes revalidated: a reload of a deep page gets index.html', async () => {
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    for (const url of ['/', '/billing/orders', '/billing/orders/ord_01JX?lang=zh-CN', '/isp/buy']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toMatch(/^text\/html/);
      expect(res.headers['cache-control'], url).toBe('no-cache');
      expect(res.body, url).toBe(INDEX);
    }
  });

  it('keeps API paths, other methods and the docs out of the console: the JSON 404', async () => {
    for (const [method, url] of [
      ['GET', '/v1/no-such-thing'],
      ['GET', '/admin/v1/no-such-thing'],
      ['GET', '/healthz/extra'],
      ['POST', '/billing/orders'],
      ['DELETE', '/assets/index-Bx3k9q.js'],
    ] as const) {
      const res = await app.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.headers['content-type'], `${method} ${url}`).toMatch(/^application\/json/);
      expect(res.json().error.code, `${method} ${url}`).toBe('not_found');
    }
    // the API's own routes still answer as the API, a path parameter past the router's limit too
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const long = await app.inject({ method: 'GET', url: `/v1/orders/${'a'.repeat(300)}` });
    expect(long.statusCode).toBe(400);
    expect(long.json().error.code).toBe('invalid_request');
  });

  it('serves nothing outside its folder', async () => {
    const secret = path.join(path.dirname(dir), `orderdesk-secret-${path.basename(dir)}.txt`);
    fs.writeFileSync(secret, 'not for the web');
    try {
      for (const url of [
        `/../${path.basename(secret)}`,
        `/%2e%2e/${path.basename(secret)}`,
        `/assets/..%2f..%2f${path.basename(secret)}`,
      ]) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.body, url).not.toContain('not for the web');
      }
    } finally {
      fs.rmSync(secret, { force: true });
    }
  });

  it('without a built console, / is the API’s 404', async () => {
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });
});
