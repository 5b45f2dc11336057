/**
 * ISP stock (SPEC §6, §11): operators import IPs (CSV or JSON; each bad row skipped with its
 * reason; re-imports change nothing) and see stock by country, city and ASN; customers see what
 * they can buy, per ASN, with the cities on offer and the price.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImportRowInput, importInventory } from '../src/app/inventory/import-inventory.ts';
import { loadDemoStock } from '../src/demo.ts';
import { type CliEnv, cliEnv, runCli } from './support/cli-env.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
let customer: { id: string; key: string };
beforeAll(async () => {
  h = await harness();
  customer = await h.customer();
});
afterAll(async () => {
  await h?.close();
});

const CSV = { 'content-type': 'text/csv' };

function importCsv(text: string, headers: Record<string, string> = CSV) {
  return h.call('POST', '/admin/v1/inventory/import', { admin: true, body: text, headers });
}

function importJson(ips: unknown[]) {
  return h.call('POST', '/admin/v1/inventory/import', { admin: true, body: { ips } });
}

async function adminStock(query = '') {
  const res = await h.call('GET', `/admin/v1/inventory${query}`, { admin: true });
  expect(res.statusCode).toBe(200);
  return res.json();
}

const skips = (body: { skipped: { line: number; ip: string | null; reason: string }[] }) =>
  body.skipped.map(({ line, ip, reason }) => ({ line, ip, reason }));

// lines 1–17: the header, five good rows and one of every bad kind
const FIRST_CSV = [
  'ip,port,country,city,asn,lat,lon',
  '203.0.113.1,8001,us,newyork,7922,,',
  '203.0.113.2,8002,US,newyork,7922,,',
  '2001:DB8::10,8003,us,newyork,3356,,',
  'not-an-ip,8004,us,newyork,7922,,',
  '203.0.113.6,70000,us,newyork,7922,,',
  '203.0.113.7,8007,usa,newyork,7922,,',
  '203.0.113.8,8008,us,New York,7922,,',
  '203.0.113.9,8009,us,atlantis,7922,,',
  '203.0.113.10,8010,us,smallville,7018,39.1,-94.5',
  '203.0.113.11,8011,us,newyork,AS-1,,',
  '203.0.113.12,8012,us,newyork,0,,',
  '203.0.113.13,8013,us,newyork,7922,95,10',
  '203.0.113.1,8014,us,newyork,7922,,',
  '203.0.113.15,8015,us,newyork',
  '"203.0.113.16",8016,br,saopaulo,28573,,',
  '010.0.0.1,8017,us,newyork,7922,,',
].join('\r\n');

describe('inventory import (SPEC §6)', () => {
  it('CSV: good rows are stocked; each bad row is skipped with its line, ip and reason', async () => {
    const res = await importCsv(FIRST_CSV);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ object: 'inventory_import', rows: 16, imported: 5, skipped_count: 11 });
    expect(skips(body)).toEqual([
      { line: 5, ip: 'not-an-ip', reason: 'invalid_ip' },
      { line: 6, ip: '203.0.113.6', reason: 'invalid_port' },
      { line: 7, ip: '203.0.113.7', reason: 'invalid_country' },
      { line: 8, ip: '203.0.113.8', reason: 'invalid_city' },
      { line: 9, ip: '203.0.113.9', reason: 'unknown_city' },
      { line: 11, ip: '203.0.113.11', reason: 'invalid_asn' },
      { line: 12, ip: '203.0.113.12', reason: 'invalid_asn' },
      { line: 13, ip: '203.0.113.13', reason: 'invalid_coordinates' },
      { line: 14, ip: '203.0.113.1', reason: 'duplicate_in_file' },
      { line: 15, ip: '203.0.113.15', reason: 'malformed_row' },
      { line: 17, ip: '010.0.0.1', reason: 'invalid_ip' },
    ]);
    expect(body.skipped_by_reason).toEqual({
      invalid_ip: 2,
      invalid_port: 1,
      invalid_country: 1,
      invalid_city: 1,
      unknown_city: 1,
      invalid_asn: 2,
      invalid_coordinates: 1,
      duplicate_in_file: 1,
      malformed_row: 1,
    });
    for (const s of body.skipped) expect(typeof s.message).toBe('string');

    // stored as the spec says: lower-case country, IPv6 in one spelling, the row's own coordinates
    const rows = await h.db.query<Record<string, unknown>>(
      `SELECT id, address, port, country, city, asn, lat, lon, status FROM isp_ips
       WHERE address IN ('203.0.113.2', '2001:db8::10', '203.0.113.10', '203.0.113.16') ORDER BY address`,
    );
    expect(rows.map((r) => [r.address, r.country, r.city, r.asn, r.status])).toEqual([
      ['2001:db8::10', 'us', 'newyork', 3356, 'available'],
      ['203.0.113.10', 'us', 'smallville', 7018, 'available'],
      ['203.0.113.16', 'br', 'saopaulo', 28573, 'available'],
      ['203.0.113.2', 'us', 'newyork', 7922, 'available'],
    ]);
    expect(rows.find((r) => r.address === '203.0.113.10')).toMatchObject({ lat: 39.1, lon: -94.5 });
    for (const r of rows) expect(r.id).toMatch(/^ip_[0-9A-Z]{26}$/);
  });

  it('JSON: the same rules, numbers or strings, line = position in ips; an IP in stock is already_in_stock', async () => {
    const res = await importJson([
      { ip: '203.0.113.1', port: 8001, country: 'us', city: 'newyork', asn: 7922 },
      { ip: '198.51.100.1', port: 9000, country: 'us', city: 'newyork', asn: 7018 },
      { ip: '198.51.100.2', port: '9001', country: 'GB', city: 'london', asn: '2856' },
      { ip: '198.51.100.3', port: 0, country: 'us', city: 'newyork', asn: 7018 },
      { ip: 'fe80::1%eth0', port: 80, country: 'us', city: 'newyork', asn: 7018 },
      { ip: '198.51.100.4', port: 1, country: 'de', city: 'frankfurt', asn: 3320, lat: 50.1 },
      { ip: '198.51.100.5', port: 2, country: 'de', city: 'frankfurt', asn: 3320, lat: 50.1, lon: 8.7 },
      { port: 3, country: 'de', city: 'frankfurt', asn: 3320 },
    ]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ object: 'inventory_import', rows: 8, imported: 3 });
    expect(skips(body)).toEqual([
      { line: 1, ip: '203.0.113.1', reason: 'already_in_stock' },
      { line: 4, ip: '198.51.100.3', reason: 'invalid_port' },
      { line: 5, ip: 'fe80::1%eth0', reason: 'invalid_ip' },
      { line: 6, ip: '198.51.100.4', reason: 'invalid_coordinates' },
      { line: 8, ip: null, reason: 'invalid_ip' },
    ]);
  });

  it('re-importing the same file is idempotent: nothing changes, every good row is already_in_stock', async () => {
    const before = await adminStock();
    const res = await importCsv(FIRST_CSV);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ imported: 0, skipped_count: 16 });
    expect(body.skipped_by_reason.already_in_stock).toBe(5);
    expect(skips(body).filter((s) => s.reason === 'already_in_stock')).toEqual([
      { line: 2, ip: '203.0.113.1', reason: 'already_in_stock' },
      { line: 3, ip: '203.0.113.2', reason: 'already_in_stock' },
      { line: 4, ip: '2001:DB8::10', reason: 'already_in_stock' },
      { line: 10, ip: '203.0.113.10', reason: 'already_in_stock' },
      { line: 16, ip: '203.0.113.16', reason: 'already_in_stock' },
    ]);
    expect(await adminStock()).toEqual(before);
    // another spelling of an IPv6 address in stock is the same address
    const v6 = await importJson([
      { ip: '2001:0db8:0000::0010', port: 1, country: 'us', city: 'newyork', asn: 3356 },
    ]);
    expect(skips(v6.json())).toEqual([{ line: 1, ip: '2001:0db8:0000::0010', reason: 'already_in_stock' }]);
  });

  it('a CSV without a required column, or with broken quoting, is 400 invalid_request', async () => {
    const noAsn = await importCsv('ip,port,country,city\n203.0.113.50,80,us,newyork\n');
    expect(noAsn.statusCode).toBe(400);
    expect(noAsn.json().error).toMatchObject({ code: 'invalid_request', param: 'csv' });
    expect(noAsn.json().error.message).toContain('missing: asn');
    const unclosed = await importCsv('ip,port,country,city,asn\n"203.0.113.50,80,us,newyork,7922\n');
    expect(unclosed.statusCode).toBe(400);
    expect(unclosed.json().error.message).toContain('CSV line 2');
    const empty = await importCsv('');
    expect(empty.statusCode).toBe(400);
    const wrongType = await importJson([{ ip: { v4: '1.2.3.4' } }]);
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().error.code).toBe('invalid_request');
    expect((await adminStock('?city=newyork&asn=7922')).totals.available).toBe(2);
  });

  it('columns in any order and case, a charset parameter and a byte-order mark are fine; unknown columns are ignored', async () => {
    const res = await importCsv(
      '\ufeffASN,City,Country,Port,IP,note\n7018,newyork,us,80,198.51.100.20,rack 4\n',
      {
        'content-type': 'text/csv; charset=utf-8',
      },
    );
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ imported: 1, skipped_count: 0, ignored_columns: ['note'] });
  });
});

describe('inventory views', () => {
  it('admin: stock by country, city and ASN with available, held and allocated counts', async () => {
    const ips = Array.from({ length: 10 }, (_, i) => ({
      ip: `198.18.0.${i + 1}`,
      port: 3128,
      country: 'fr',
      city: 'paris',
      asn: 3215,
    }));
    ips.push({ ip: '198.18.1.1', port: 3128, country: 'fr', city: 'lyon', asn: 3215 });
    expect((await importJson(ips)).json().imported).toBe(11);
    await h.db.query(
      `UPDATE isp_ips SET status = 'held', held_by_order_id = 'ord_test'
       WHERE address IN ('198.18.0.1', '198.18.0.2')`,
    );
    await h.db.query(
      `UPDATE isp_ips SET status = 'allocated', batch_id = 'bat_test'
       WHERE address IN ('198.18.0.3', '198.18.0.4', '198.18.0.5')`,
    );
    const fr = await adminStock('?country=fr');
    expect(fr).toEqual({
      object: 'inventory',
      filter: { country: 'fr', city: null, asn: null },
      totals: { available: 6, held: 2, allocated: 3, retired: 0, total: 11 },
      data: [
        { country: 'fr', city: 'lyon', asn: 3215, available: 1, held: 0, allocated: 0, retired: 0, total: 1 },
        {
          country: 'fr',
          city: 'paris',
          asn: 3215,
          available: 5,
          held: 2,
          allocated: 3,
          retired: 0,
          total: 10,
        },
      ],
    });
    expect((await adminStock('?country=FR&city=paris&asn=3215')).data).toHaveLength(1);
    expect((await adminStock('?country=fr&asn=1')).data).toEqual([]);
    const all = await adminStock();
    expect(all.data.map((p: { country: string }) => p.country)).toEqual(
      [...all.data.map((p: { country: string }) => p.country)].sort(),
    );
    // the customer sees only what is available
    const offer = (await h.call('GET', '/v1/isp/inventory?country=fr', { key: customer.key })).json();
    expect(offer).toMatchObject({
      available: 6,
      cities: [
        { city: 'lyon', available: 1 },
        { city: 'paris', available: 5 },
      ],
    });
  });

  it('customer: per ASN the available count, cities and 1-month price with the premium surcharge', async () => {
    const res = await h.call('GET', '/v1/isp/inventory?country=us', { key: customer.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      object: 'isp_inventory',
      country: 'us',
      t1_market: true,
      city_selectable: true,
      available: 6,
      price_per_ip_usd: 5,
      cities: [
        { city: 'newyork', available: 5 },
        { city: 'smallville', available: 1 },
      ],
      asns: [
        {
          asn: 3356,
          available: 1,
          premium: false,
          price_per_ip_usd: 5,
          cities: [{ city: 'newyork', available: 1 }],
        },
        {
          asn: 7018,
          available: 3,
          premium: true,
          price_per_ip_usd: 6,
          cities: [
            { city: 'newyork', available: 2 },
            { city: 'smallville', available: 1 },
          ],
        },
        {
          asn: 7922,
          available: 2,
          premium: true,
          price_per_ip_usd: 6,
          cities: [{ city: 'newyork', available: 2 }],
        },
      ],
    });
    // two decimals on the wire, as every USD amount
    expect(res.body).toContain('"price_per_ip_usd":5.00');
    expect(res.body).toContain('{"asn":7922,"available":2,"premium":true,"price_per_ip_usd":6.00');

    const br = (await h.call('GET', '/v1/isp/inventory?country=br', { key: customer.key })).json();
    expect(br).toMatchObject({
      country: 'br',
      t1_market: false,
      available: 1,
      price_per_ip_usd: 7,
      asns: [{ asn: 28573, available: 1, premium: false, price_per_ip_usd: 7 }],
    });

    const filtered = (
      await h.call('GET', '/v1/isp/inventory?country=us&city=newyork&asn=7922', { key: customer.key })
    ).json();
    expect(filtered).toMatchObject({
      available: 2,
      asns: [{ asn: 7922, available: 2, price_per_ip_usd: 6 }],
    });

    // a T1 country without stock: an offer of 0 at the country's price
    expect((await h.call('GET', '/v1/isp/inventory?country=jp', { key: customer.key })).json()).toMatchObject(
      {
        available: 0,
        price_per_ip_usd: 6,
        asns: [],
      },
    );

    // no country: every country with stock
    const list = (await h.call('GET', '/v1/isp/inventory', { key: customer.key })).json();
    expect(list.object).toBe('list');
    expect(list.data.map((o: { country: string }) => o.country)).toEqual(['br', 'de', 'fr', 'gb', 'us']);
  });

  it.each([
    ['country=xx', 'country'],
    ['country=usa', 'country'],
    ['country=us&city=New%20York', 'city'],
    ['country=us&asn=abc', 'asn'],
    ['country=us&asn=4294967296', 'asn'],
  ])('customer view: %s is 400 invalid_request', async (query, param) => {
    const res = await h.call('GET', `/v1/isp/inventory?${query}`, { key: customer.key });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param });
  });

  it('a customer key on the admin inventory routes is 403; no key is 401', async () => {
    const post = await h.call('POST', '/admin/v1/inventory/import', {
      key: customer.key,
      body: 'ip,port,country,city,asn\n203.0.113.99,80,us,newyork,7922\n',
      headers: CSV,
    });
    expect(post.statusCode).toBe(403);
    expect(post.json().error.code).toBe('forbidden');
    const get = await h.call('GET', '/admin/v1/inventory', { key: customer.key });
    expect(get.statusCode).toBe(403);
    expect((await h.call('GET', '/v1/isp/inventory?country=us')).statusCode).toBe(401);
    expect((await adminStock('?city=newyork&asn=7922')).totals.available).toBe(2);
  });
});

describe('stock arriving by import', () => {
  it('an import in the country of an order waiting for stock delivers it (the wait queue runs)', async () => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: {
        product: 'isp',
        country: 'de',
        city: 'hamburg',
        asn: 3320,
        quantity: 5,
        months: 1,
        on_shortage: 'wait',
      },
    });
    expect(placed.statusCode).toBe(200);
    expect(placed.json().status).toBe('waiting_inventory');
    const ips = Array.from({ length: 5 }, (_, i) => ({
      ip: `192.0.2.${i + 1}`,
      port: 3128,
      country: 'de',
      city: 'hamburg',
      asn: 3320,
    }));
    expect((await importJson(ips)).json().imported).toBe(5);
    const adv = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 1 } });
    expect(adv.statusCode).toBe(200);
    const o = (await h.call('GET', `/v1/orders/${placed.json().id}`, { key: c.key })).json();
    expect(o.status).not.toBe('waiting_inventory');
    expect((await adminStock('?country=de&city=hamburg')).totals).toMatchObject({
      available: 0,
      allocated: 5,
    });
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('orderdesk inventory import / show (SPEC §11)', () => {
  let t: CliEnv;
  beforeAll(async () => {
    t = await cliEnv('orderdesk-inv-');
  });
  afterAll(async () => {
    await t?.close();
  });

  const cli = (args: string[]) => runCli(t.env, args);

  it('imports a CSV file with a summary, skips the bad rows, and shows the stock', async () => {
    const file = path.join(t.dataDir, 'stock.csv');
    fs.writeFileSync(
      file,
      'ip,port,country,city,asn\n203.0.113.1,8000,us,newyork,7922\n203.0.113.2,8000,us,newyork,7922\nbad,8000,us,newyork,7922\n',
    );
    const first = await cli(['inventory', 'import', file, '--text']);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'imported 2 of 3 rows; skipped 1 (invalid_ip 1)\n  line 4  bad  invalid_ip: "bad" is not an IPv4 or IPv6 address\n',
    );
    const again = await cli(['inventory', 'import', file]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      object: 'inventory_import',
      imported: 0,
      skipped_by_reason: { already_in_stock: 2, invalid_ip: 1 },
    });
    const show = await cli(['inventory', 'show', '--country', 'us']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({
      object: 'inventory',
      data: [{ country: 'us', city: 'newyork', asn: 7922, available: 2, held: 0, allocated: 0 }],
    });
    const text = await cli(['inventory', 'show', '--text']);
    expect(text.stdout).toContain('available 2  held 0  allocated 0');
    const missing = await cli(['inventory', 'import', path.join(t.dataDir, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('cannot read');
  });
});

describe('demo stock and volume', () => {
  it('the demo stocks us newyork on ASN 7922 and 7018 (≥ 100 each), losangeles, london, frankfurt and saopaulo; loading twice adds nothing', async () => {
    expect(await loadDemoStock(h.deps)).toBe(580);
    expect(await loadDemoStock(h.deps)).toBe(0);
    const us = (
      await h.call('GET', '/v1/isp/inventory?country=us&city=newyork', { key: customer.key })
    ).json();
    const byAsn = Object.fromEntries(
      us.asns.map((a: { asn: number; available: number }) => [a.asn, a.available]),
    );
    expect(byAsn[7922]).toBeGreaterThanOrEqual(100);
    expect(byAsn[7018]).toBeGreaterThanOrEqual(100);
    for (const [country, city] of [
      ['us', 'losangeles'],
      ['gb', 'london'],
      ['de', 'frankfurt'],
      ['br', 'saopaulo'],
    ]) {
      const o = (
        await h.call('GET', `/v1/isp/inventory?country=${country}&city=${city}`, { key: customer.key })
      ).json();
      expect(o.available).toBeGreaterThan(0);
    }
  });

  it('100,000 rows import through the use-case in one go', async () => {
    const rows: ImportRowInput[] = Array.from({ length: 100_000 }, (_, i) => ({
      line: i + 2,
      ip: `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
      port: '3128',
      country: 'nl',
      city: i % 2 ? 'amsterdam' : 'rotterdam',
      asn: '1136',
    }));
    const started = performance.now();
    const r = await importInventory(h.deps, rows);
    const ms = performance.now() - started;
    console.log(`[bench] 100,000-row inventory import on ${h.db.engine}: ${Math.round(ms)} ms`);
    expect(r.ok && r.value.imported).toBe(100_000);
    expect((await adminStock('?country=nl')).totals).toMatchObject({ available: 100_000, total: 100_000 });
  });
});
