/**
 * GET /v1/orders (SPEC §1 lists, §4, §8): cursor pagination (limit 1–100, default 20,
 * starting_after, has_more, newest first) and the filters id, created_from, created_to, product,
 * type, status and payment_status, combined.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';
import { newOrder, nextDayAtTen, storedOrder } from './support/orders.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness({ ORDERDESK_RATE_READS_PER_SECOND: '100000' });
});
afterAll(async () => {
  await h?.close();
});

type Listed = { object: 'list'; data: { id: string; created_at: string }[]; has_more: boolean };

async function list(key: string, query: string): Promise<Listed> {
  const res = await h.call('GET', `/v1/orders${query ? `?${query}` : ''}`, { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function ids(key: string, query: string): Promise<string[]> {
  return (await list(key, query)).data.map((o) => o.id);
}

describe('limit', () => {
  let c: { id: string; key: string };
  beforeAll(async () => {
    c = await h.customer({ balanceUsd: 1000 });
    for (let i = 0; i < 22; i++) await newOrder(h, c.key, 'residential');
  });

  it.each(['0', '101', '-1', '1.5', 'abc', '', '1e3'])('limit=%s is 400 invalid_request', async (limit) => {
    const res = await h.call('GET', `/v1/orders?limit=${limit}`, { key: c.key });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'limit' });
  });

  it('defaults to 20, and 1 and 100 are allowed', async () => {
    expect((await list(c.key, '')).data).toHaveLength(20);
    expect((await list(c.key, '')).has_more).toBe(true);
    expect((await list(c.key, 'limit=1')).data).toHaveLength(1);
    const all = await list(c.key, 'limit=100');
    expect(all.data).toHaveLength(22);
    expect(all.has_more).toBe(false);
  });

  it('has_more is true exactly when more orders follow the page', async () => {
    expect((await list(c.key, 'limit=21')).has_more).toBe(true);
    expect((await list(c.key, 'limit=22')).has_more).toBe(false);
    expect((await list(c.key, 'limit=23')).has_more).toBe(false);
  });
});

describe('starting_after', () => {
  let c: { id: string; key: string };
  let created: string[];
  beforeAll(async () => {
    c = await h.customer({ balanceUsd: 1000 });
    created = [];
    // some orders share a created_at (the clock stands still), the rest are a minute apart
    for (let i = 0; i < 25; i++) {
      created.push(await newOrder(h, c.key, 'residential'));
      if (i % 3 === 0) await h.clock.advance(60);
    }
  });

  it('walks every page newest first with no duplicates and no gaps', async () => {
    for (const limit of [1, 4, 7, 25]) {
      const seen: string[] = [];
      const sizes: number[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 30; guard++) {
        const page = await list(c.key, `limit=${limit}${after ? `&starting_after=${after}` : ''}`);
        sizes.push(page.data.length);
        seen.push(...page.data.map((o) => o.id));
        if (!page.has_more) break;
        after = page.data[page.data.length - 1]!.id;
      }
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).toEqual([...created].reverse());
      expect(sizes.every((n, i) => n === limit || i === sizes.length - 1)).toBe(true);
      expect(sizes.length).toBe(Math.ceil(25 / limit));
    }
  });

  it('newest first means created_at descending', async () => {
    const page = await list(c.key, 'limit=100');
    const times = page.data.map((o) => Date.parse(o.created_at));
    expect(times).toEqual([...times].sort((x, y) => y - x));
    expect(new Set(times).size).toBeGreaterThan(1);
  });

  it('the last order as the cursor gives an empty page', async () => {
    expect(await list(c.key, `starting_after=${created[0]}`)).toEqual({
      object: 'list',
      data: [],
      has_more: false,
    });
  });

  it('an id that is no order gives an empty page', async () => {
    expect((await list(c.key, 'starting_after=ord_01J00000000000000000000000')).data).toEqual([]);
    expect((await list(c.key, 'starting_after=nonsense')).data).toEqual([]);
  });
});

describe('filters, alone and combined', () => {
  let c: { id: string; key: string };
  /** o1..o7, oldest first */
  const o: Record<string, string> = {};

  beforeAll(async () => {
    c = await h.customer({ balanceUsd: 1000, kyc: true });
    // the clock sits at the harness START: 2026-05-28T10:00:00Z, shared by this file's describes;
    // move to a known day first
    o.d1 = await nextDayAtTen(h);
    o.o1 = await newOrder(h, c.key, 'residential'); // d1 10:00
    await h.clock.advance(3600);
    o.o2 = await newOrder(h, c.key, 'mobile'); // d1 11:00
    await h.clock.advance(3600);
    o.o3 = await storedOrder(h, c.id, 'residential', {
      type: 'renew',
      status: 'provisioning',
      paymentStatus: 'pending_payment',
    }); // d1 12:00
    await h.clock.advance(24 * 3600);
    o.d2 = (await h.clock.now()).toISOString().slice(0, 10);
    o.o4 = await newOrder(h, c.key, 'residential', 100); // d2 12:00
    await h.clock.advance(1800);
    o.o5 = await storedOrder(h, c.id, 'mobile', {
      type: 'change',
      status: 'completed',
      paymentStatus: 'refunded',
    }); // d2 12:30
    await h.clock.advance(24 * 3600);
    o.d3 = (await h.clock.now()).toISOString().slice(0, 10);
    o.o6 = await newOrder(h, c.key, 'mobile'); // d3 12:30
    o.o7 = await storedOrder(h, c.id, 'residential', {
      type: 'new',
      status: 'cancelled',
      paymentStatus: 'cancelled',
    });
  });

  const at = (day: 'd1' | 'd2' | 'd3', time: string) => `${o[day]}T${time}Z`;

  it('no filter lists all seven, newest first', async () => {
    expect(await ids(c.key, '')).toEqual([o.o7, o.o6, o.o5, o.o4, o.o3, o.o2, o.o1]);
  });

  it('id', async () => {
    expect(await ids(c.key, `id=${o.o2}`)).toEqual([o.o2]);
    expect(await ids(c.key, 'id=ord_01J00000000000000000000000')).toEqual([]);
  });

  it('product', async () => {
    expect(await ids(c.key, 'product=mobile')).toEqual([o.o6, o.o5, o.o2]);
    expect(await ids(c.key, 'product=residential')).toEqual([o.o7, o.o4, o.o3, o.o1]);
    expect(await ids(c.key, 'product=isp')).toEqual([]);
  });

  it('type', async () => {
    expect(await ids(c.key, 'type=renew')).toEqual([o.o3]);
    expect(await ids(c.key, 'type=change')).toEqual([o.o5]);
    expect(await ids(c.key, 'type=new')).toEqual([o.o7, o.o6, o.o4, o.o2, o.o1]);
  });

  it('status (fulfilment)', async () => {
    expect(await ids(c.key, 'status=provisioning')).toEqual([o.o3]);
    expect(await ids(c.key, 'status=cancelled')).toEqual([o.o7]);
    expect(await ids(c.key, 'status=completed')).toEqual([o.o6, o.o5, o.o4, o.o2, o.o1]);
    expect(await ids(c.key, 'status=waiting_inventory')).toEqual([]);
  });

  it('payment_status', async () => {
    expect(await ids(c.key, 'payment_status=refunded')).toEqual([o.o5]);
    expect(await ids(c.key, 'payment_status=pending_payment')).toEqual([o.o3]);
    expect(await ids(c.key, 'payment_status=paid')).toEqual([o.o6, o.o4, o.o2, o.o1]);
  });

  it('created_from is inclusive; a date means the start of that UTC day', async () => {
    expect(await ids(c.key, `created_from=${o.d2}`)).toEqual([o.o7, o.o6, o.o5, o.o4]);
    expect(await ids(c.key, `created_from=${at('d1', '11:00:00')}`)).toEqual([
      o.o7,
      o.o6,
      o.o5,
      o.o4,
      o.o3,
      o.o2,
    ]);
  });

  it('created_to is inclusive; a date means the whole of that UTC day', async () => {
    expect(await ids(c.key, `created_to=${o.d1}`)).toEqual([o.o3, o.o2, o.o1]);
    expect(await ids(c.key, `created_to=${at('d1', '11:00:00')}`)).toEqual([o.o2, o.o1]);
    expect(await ids(c.key, `created_to=${at('d1', '10:59:59.999')}`)).toEqual([o.o1]);
  });

  it('a date-time with an offset is read in its own zone', async () => {
    // 13:00+02:00 is 11:00Z
    expect(await ids(c.key, `created_from=${o.d1}T13:00:00%2B02:00&created_to=${o.d1}`)).toEqual([
      o.o3,
      o.o2,
    ]);
  });

  it('one day as both ends selects that day', async () => {
    expect(await ids(c.key, `created_from=${o.d2}&created_to=${o.d2}`)).toEqual([o.o5, o.o4]);
    expect(
      await ids(c.key, `created_from=${at('d2', '12:00:00')}&created_to=${at('d2', '12:00:00')}`),
    ).toEqual([o.o4]);
  });

  it('created_from after created_to is 400 invalid_request', async () => {
    const res = await h.call('GET', `/v1/orders?created_from=${o.d2}&created_to=${o.d1}`, { key: c.key });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'created_from' });
  });

  it('every filter combined', async () => {
    const range = `created_from=${o.d1}&created_to=${o.d2}`;
    expect(
      await ids(c.key, `${range}&product=residential&type=new&status=completed&payment_status=paid`),
    ).toEqual([o.o4, o.o1]);
    expect(await ids(c.key, `${range}&product=mobile&status=completed`)).toEqual([o.o5, o.o2]);
    expect(await ids(c.key, `${range}&product=mobile&payment_status=refunded&type=change`)).toEqual([o.o5]);
    expect(await ids(c.key, `${range}&product=residential&type=renew&status=completed`)).toEqual([]);
    expect(await ids(c.key, `id=${o.o2}&product=mobile&${range}&status=completed&type=new`)).toEqual([o.o2]);
    expect(await ids(c.key, `id=${o.o2}&product=residential`)).toEqual([]);
    expect(await ids(c.key, `id=${o.o6}&${range}`)).toEqual([]);
  });

  it('filters and the cursor together page through the matching orders only', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page = await list(c.key, `product=residential&limit=1${after ? `&starting_after=${after}` : ''}`);
      seen.push(...page.data.map((x) => x.id));
      if (!page.has_more) break;
      after = page.data[0]!.id;
    }
    expect(seen).toEqual([o.o7, o.o4, o.o3, o.o1]);
    // a cursor outside the filter still marks a position in time
    expect(await ids(c.key, `product=mobile&starting_after=${o.o3}`)).toEqual([o.o2]);
  });

  it.each([
    'type=bogus',
    'status=paid',
    'payment_status=completed',
    'created_from=yesterday',
    'created_from=2026-02-30',
    'created_to=2026-05-28T10:00:00',
    'created_from=0000-12-31',
    `product=${'x'.repeat(33)}`,
  ])('%s is 400 invalid_request', async (query) => {
    const res = await h.call('GET', `/v1/orders?${query}`, { key: c.key });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect(res.json().error.param).toBe(query.split('=')[0]);
  });

  it('a created_to at the end of the calendar is fine', async () => {
    expect(await ids(c.key, 'created_to=9999-12-31')).toHaveLength(7);
    expect(await ids(c.key, 'created_from=0001-01-01&created_to=9999-12-31T23:59:59.999Z')).toHaveLength(7);
  });

  it('filtering moves no money', async () => {
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
