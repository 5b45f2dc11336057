import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness({ ORDERDESK_RATE_WRITES_PER_SECOND: '2', ORDERDESK_RATE_READS_PER_SECOND: '1000' });
});
afterAll(async () => {
  await h?.close();
});

describe('OpenAPI, health, metrics, request ids (SPEC §1, §12)', () => {
  it('serves OpenAPI 3.1 generated from the route schemas', async () => {
    const res = await h.call('GET', '/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toBe('3.1.0');
    for (const p of [
      '/v1/orders',
      '/v1/orders/quote',
      '/v1/orders/{id}',
      '/v1/account',
      '/admin/v1/accounts',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    // the order body is one of its products' bodies (bandwidth, ISP)
    const [bandwidth, isp] =
      doc.paths['/v1/orders'].post.requestBody.content['application/json'].schema.oneOf;
    expect(bandwidth.properties.product.enum).toEqual(['residential', 'mobile']);
    expect(bandwidth.required).toEqual(expect.arrayContaining(['product', 'gb']));
    expect(isp.properties.product.enum ?? [isp.properties.product.const]).toEqual(['isp']);
    expect(isp.required).toEqual(expect.arrayContaining(['product', 'country', 'quantity']));
  });

  it('serves interactive docs at /docs', async () => {
    const res = await h.call('GET', '/docs/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
  });

  it('answers /healthz, /readyz and /metrics', async () => {
    expect((await h.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    expect((await h.call('GET', '/readyz')).json()).toEqual({ status: 'ready' });
    const m = await h.call('GET', '/metrics');
    expect(m.statusCode).toBe(200);
    expect(m.body).toContain('orderdesk_http_request_duration_seconds');
  });

  it('every response carries a Request-Id that matches the error envelope', async () => {
    const res = await h.call('GET', '/v1/orders/ord_nope');
    expect(res.statusCode).toBe(401);
    expect(res.headers['request-id']).toMatch(/^req_[0-9a-f]{20}$/);
    expect(res.json().error.request_id).toBe(res.headers['request-id']);
  });

  it('rate limits writes per account with 429 rate_limited and Retry-After', async () => {
    const a = await h.customer({ balanceUsd: 100 });
    const b = await h.customer({ balanceUsd: 100 });
    const burst = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.call('POST', '/v1/orders/quote', { key: a.key, body: { product: 'residential', gb: 1 } }),
      ),
    );
    const limited = burst.filter((r) => r.statusCode === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers['retry-after']).toBeDefined();
    expect(limited[0]!.json().error.code).toBe('rate_limited');
    // another account is not affected
    const other = await h.call('POST', '/v1/orders/quote', {
      key: b.key,
      body: { product: 'residential', gb: 1 },
    });
    expect(other.statusCode).toBe(200);
  });
});
