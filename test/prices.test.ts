/** GET /v1/prices: the plan cards of Buy traffic come from the price book (SPEC §3, §10). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

describe('GET /v1/prices', () => {
  it('residential: payg 4.50 from 1 GB down to enterprise 2.50 from 5,000 GB, as the spec table says', async () => {
    const c = await h.customer();
    const res = await h.call('GET', '/v1/prices?product=residential', { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(
      res
        .json()
        .data.map((p: { plan: string; min_gb: number; unit_price_usd: number }) => [
          p.plan,
          p.min_gb,
          p.unit_price_usd,
        ]),
    ).toEqual([
      ['payg', 1, 4.5],
      ['starter', 100, 4],
      ['pro', 500, 3.5],
      ['business', 1000, 3],
      ['enterprise', 5000, 2.5],
    ]);
    expect(res.body).toContain('"unit_price_usd":4.50');
  });

  it('mobile starts at 6.00 per GB', async () => {
    const c = await h.customer();
    const res = await h.call('GET', '/v1/prices?product=mobile', { key: c.key });
    expect(res.json().data[0]).toMatchObject({ plan: 'payg', unit_price_usd: 6 });
  });

  it('an unknown or missing product is 400; no key is 401', async () => {
    const c = await h.customer();
    expect((await h.call('GET', '/v1/prices?product=gold', { key: c.key })).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/prices', { key: c.key })).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/prices?product=residential')).statusCode).toBe(401);
  });
});
