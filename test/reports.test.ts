/** GET /v1/reports/usage and /spend: the dashboard's charts (SPEC §10) from the usage lines and the orders. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const GB = 1_000_000_000;
const DAY = 24 * 3600 * 1000;
let n = 0;

async function mainSubuser(key: string) {
  const list = await h.call('GET', '/v1/subusers', { key });
  return list.json().data.find((s: { is_main: boolean }) => s.is_main) as { id: string; username: string };
}

async function use(username: string, bytes: number, at: Date, product = 'residential') {
  const res = await h.call('POST', '/admin/v1/usage', {
    admin: true,
    body: {
      lines: [
        {
          id: `rep-${++n}-${Math.random().toString(36).slice(2)}`,
          subuser: username,
          product,
          bytes,
          at: at.toISOString(),
        },
      ],
    },
  });
  expect(res.statusCode).toBe(200);
}

describe('GET /v1/reports/usage', () => {
  it('sums the traffic per UTC day, product and subuser: 1.5 GB yesterday, 2.25 GB today', async () => {
    const c = await h.customer({ balanceUsd: 45 });
    expect(
      (await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 10 } }))
        .statusCode,
    ).toBe(200);
    const sub = await mainSubuser(c.key);
    const now = await h.clock.now();
    const yesterday = new Date(now.getTime() - DAY);
    await use(sub.username, GB, yesterday);
    await use(sub.username, GB / 2, yesterday);
    await use(sub.username, 2 * GB, now);
    await use(sub.username, GB / 4, now);
    const res = await h.call('GET', '/v1/reports/usage?days=7', { key: c.key });
    expect(res.statusCode).toBe(200);
    const day = (d: Date) => d.toISOString().slice(0, 10);
    expect(res.json().data).toEqual([
      { day: day(yesterday), product: 'residential', subuser: sub.id, used_gb: 1.5 },
      { day: day(now), product: 'residential', subuser: sub.id, used_gb: 2.25 },
    ]);
  });

  it("another account's traffic is not in the report; days outside 1–366 are 400", async () => {
    const c = await h.customer();
    const res = await h.call('GET', '/v1/reports/usage', { key: c.key });
    expect(res.json()).toMatchObject({ object: 'usage_report', data: [] });
    expect((await h.call('GET', '/v1/reports/usage?days=0', { key: c.key })).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/reports/usage?days=400', { key: c.key })).statusCode).toBe(400);
  });
});

describe('GET /v1/reports/spend', () => {
  it('cash spent per month and product: 225.00 residential and 6.00 mobile this month', async () => {
    const c = await h.customer({ balanceUsd: 300, kyc: true });
    expect(
      (await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } }))
        .statusCode,
    ).toBe(200);
    expect(
      (await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'mobile', gb: 1 } })).statusCode,
    ).toBe(200);
    const res = await h.call('GET', '/v1/reports/spend', { key: c.key });
    expect(res.statusCode).toBe(200);
    const month = (await h.clock.now()).toISOString().slice(0, 7);
    expect(res.json().data).toEqual([
      { month, product: 'mobile', spend_usd: 6 },
      { month, product: 'residential', spend_usd: 225 },
    ]);
    expect(res.body).toContain('"spend_usd":225.00');
    // another tenant sees nothing of it
    const other = await h.customer();
    expect((await h.call('GET', '/v1/reports/spend', { key: other.key })).json().data).toEqual([]);
  });
});
