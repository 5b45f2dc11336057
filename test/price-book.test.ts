/**
 * The price book operators edit (SPEC §11 `GET|PATCH /admin/v1/price-book`, issue 12): keys like
 * residential.payg, isp.country.us, isp.asn.7922, server.s1.small.hourly; an edit is all or
 * nothing and makes one new version; quotes and orders after it use the new prices, earlier
 * orders keep theirs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

interface Entry {
  key: string;
  product: string;
  unit: string;
  unit_price_usd: number;
  min_quantity: number;
  changed_in_version: number | null;
}

async function book(): Promise<Map<string, Entry>> {
  const res = await h.call('GET', '/admin/v1/price-book', { admin: true });
  expect(res.statusCode, res.body).toBe(200);
  return new Map((res.json().data as Entry[]).map((e) => [e.key, e]));
}

const edit = (body: unknown) => h.call('PATCH', '/admin/v1/price-book', { admin: true, body });

async function version(): Promise<number> {
  const rows = await h.db.query<{ version: number }>('SELECT version FROM price_book_version');
  return Number(rows[0]!.version);
}

describe('GET /admin/v1/price-book', () => {
  it('lists every price under its public key, with the spec’s defaults', async () => {
    const b = await book();
    expect(b.get('residential.payg')).toMatchObject({
      product: 'residential',
      unit: 'gb',
      unit_price_usd: 4.5,
      min_quantity: 1,
      changed_in_version: null,
    });
    expect(b.get('mobile.pro')).toMatchObject({ unit_price_usd: 5, min_quantity: 500 });
    expect(b.get('isp.country.us')).toMatchObject({ unit_price_usd: 5, unit: 'ip_month', min_quantity: 5 });
    expect(b.get('isp.country.default')).toMatchObject({ unit_price_usd: 7 });
    expect(b.get('isp.asn.7922')).toMatchObject({ unit_price_usd: 1, min_quantity: 1 });
    expect(b.get('server.s1.small.monthly')).toMatchObject({ unit_price_usd: 20, unit: 'month' });
    expect(b.get('server.s1.small.hourly')).toMatchObject({ unit_price_usd: 0.03, unit: 'hour' });
    const raw = (await h.call('GET', '/admin/v1/price-book', { admin: true })).body;
    expect(raw).toContain('"key":"server.s1.small.hourly"');
    expect(raw).toMatch(
      /"key":"server\.s1\.small\.hourly","product":"server","unit":"hour","unit_price_usd":0\.03/,
    );
  });

  it('is for operators only', async () => {
    const c = await h.customer();
    expect((await h.call('GET', '/admin/v1/price-book', {})).statusCode).toBe(401);
    expect((await h.call('GET', '/admin/v1/price-book', { key: c.key })).statusCode).toBe(403);
    const patch = await h.call('PATCH', '/admin/v1/price-book', {
      key: c.key,
      body: { prices: { 'residential.payg': 0 } },
    });
    expect(patch.statusCode).toBe(403);
    expect((await book()).get('residential.payg')?.unit_price_usd).toBe(4.5);
  });
});

describe('PATCH /admin/v1/price-book', () => {
  it('50 GB residential: 225.00 before, 210.00 after residential.payg 4.20; the earlier order keeps 225.00', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const before = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50 },
    });
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json().total_usd).toBe(225);
    const v0 = await version();

    const res = await edit({ prices: { 'residential.payg': 4.2 }, reason: 'December promotion' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      object: 'price_book_version',
      version: v0 + 1,
      changed: [{ key: 'residential.payg', before_usd: 4.5, unit_price_usd: 4.2 }],
      reason: 'December promotion',
    });
    expect(res.body).toContain('"unit_price_usd":4.20');
    expect(await version()).toBe(v0 + 1);
    expect((await book()).get('residential.payg')).toMatchObject({
      unit_price_usd: 4.2,
      changed_in_version: v0 + 1,
    });

    const quote = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'residential', gb: 50 },
    });
    expect(quote.statusCode, quote.body).toBe(200);
    expect(quote.json().total_usd).toBe(210);
    const after = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50 },
    });
    expect(after.json()).toMatchObject({ total_usd: 210, details: { price_per_gb: 4.2 } });

    const old = await h.call('GET', `/v1/orders/${before.json().id}`, { key: c.key });
    expect(old.json()).toMatchObject({ total_usd: 225, details: { price_per_gb: 4.5 } });
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(1000 - 225 - 210);
    await edit({ prices: { 'residential.payg': 4.5 } });
  });

  it('server and ISP prices: a server quote uses server.s1.small.monthly; a new ASN key can be added', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    expect((await edit({ prices: { 'server.s1.small.monthly': 25, 'isp.asn.13335': 1.5 } })).statusCode).toBe(
      200,
    );
    const o = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'server', spec: 's1.small', payment_mode: 'prepaid', months: 1 },
    });
    expect(o.statusCode, o.body).toBe(200);
    expect(o.json()).toMatchObject({ total_usd: 25, line_items: [{ unit_price_usd: 25 }] });
    const b = await book();
    expect(b.get('isp.asn.13335')).toMatchObject({
      product: 'isp',
      unit: 'ip_month',
      unit_price_usd: 1.5,
      min_quantity: 1,
    });
    await edit({ prices: { 'server.s1.small.monthly': 20 } });
  });

  it('setting prices to what they are changes nothing and makes no version', async () => {
    const v0 = await version();
    const res = await edit({ prices: { 'residential.payg': 4.5, 'isp.country.us': 5 } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ version: v0, changed: [] });
    expect(await version()).toBe(v0);
  });

  it.each([
    ['an unknown key', { prices: { 'gold.payg': 1, 'residential.payg': 1 } }],
    ['a key that cannot be added', { prices: { 'residential.gold': 1 } }],
    ['a country that does not exist', { prices: { 'isp.country.zz': 1 } }],
    ['a negative price', { prices: { 'residential.payg': -1 } }],
    ['five decimals', { prices: { 'residential.payg': 4.12345 } }],
    ['a price as a string', { prices: { 'residential.payg': '4.2' } }],
    ['a price over the bound', { prices: { 'residential.payg': 2_000_000 } }],
    ['no prices', { prices: {} }],
    ['no body', undefined],
    ['an unknown field', { prices: { 'residential.payg': 4 }, note: 'x' }],
    ['a blank reason', { prices: { 'residential.payg': 4 }, reason: '   ' }],
  ])('%s is 400 and changes nothing', async (_, body) => {
    const v0 = await version();
    const res = await edit(body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(await version()).toBe(v0);
    expect((await book()).get('residential.payg')?.unit_price_usd).toBe(4.5);
  });

  it('an unknown key is named in the error', async () => {
    const res = await edit({ prices: { 'gold.payg': 1, 'isp.asn.7922': 2 } });
    expect(res.json().error).toMatchObject({ param: 'prices', keys: ['gold.payg'] });
    expect((await book()).get('isp.asn.7922')?.unit_price_usd).toBe(1);
  });

  it('two edits at once make two versions, one after the other', async () => {
    const v0 = await version();
    const [a, b] = await Promise.all([
      edit({ prices: { 'mobile.payg': 6.1 } }),
      edit({ prices: { 'mobile.payg': 6.2 } }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect([a.json().version, b.json().version].sort((x, y) => x - y)).toEqual([v0 + 1, v0 + 2]);
    const [ja, jb] = [a.json(), b.json()];
    const [first, last] = ja.version < jb.version ? [ja, jb] : [jb, ja];
    // the later edit saw the earlier one's price as its "before"
    expect(last.changed[0].before_usd).toBe(first.changed[0].unit_price_usd);
    expect((await book()).get('mobile.payg')?.unit_price_usd).toBe(last.changed[0].unit_price_usd);
  });
});
