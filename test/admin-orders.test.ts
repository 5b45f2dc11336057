/**
 * GET /admin/v1/orders and GET /admin/v1/orders/{id} (SPEC §8, §11 "see any order"): operators see
 * every account's orders with the customer list's filters plus `account`, and any order's detail
 * with its events; customer keys never open them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';
import { newOrder, nextDayAtTen, storedOrder } from './support/orders.ts';

let h: Harness;
let a: { id: string; key: string };
let b: { id: string; key: string };
/** o1..o6, oldest first, an hour apart: a1 b2 a3 b4 a5 b6 */
const o: Record<string, string> = {};
let day: string;

type Listed = {
  object: 'list';
  data: { id: string; account: string; product: string; created_at: string }[];
  has_more: boolean;
};

async function list(query: string): Promise<Listed> {
  const res = await h.call('GET', `/admin/v1/orders${query ? `?${query}` : ''}`, { admin: true });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

async function ids(query: string): Promise<string[]> {
  return (await list(query)).data.map((x) => x.id);
}

beforeAll(async () => {
  h = await harness({ ORDERDESK_RATE_READS_PER_SECOND: '100000' });
  a = await h.customer({ balanceUsd: 1000, kyc: true });
  b = await h.customer({ balanceUsd: 1000, kyc: true });
  day = await nextDayAtTen(h);
  o.o1 = await newOrder(h, a.key, 'residential'); // 10:00
  await h.clock.advance(3600);
  o.o2 = await newOrder(h, b.key, 'mobile'); // 11:00
  await h.clock.advance(3600);
  o.o3 = await storedOrder(h, a.id, 'mobile', {
    type: 'renew',
    status: 'provisioning',
    paymentStatus: 'pending_payment',
  }); // 12:00
  await h.clock.advance(3600);
  o.o4 = await storedOrder(h, b.id, 'residential', {
    type: 'change',
    status: 'completed',
    paymentStatus: 'refunded',
  }); // 13:00
  await h.clock.advance(3600);
  o.o5 = await newOrder(h, a.key, 'mobile', 2); // 14:00
  await h.clock.advance(24 * 3600);
  o.o6 = await storedOrder(h, b.id, 'mobile', {
    type: 'renew',
    status: 'cancelled',
    paymentStatus: 'cancelled',
  }); // next day 14:00
});
afterAll(async () => {
  await h?.close();
});

describe('GET /admin/v1/orders', () => {
  it("an operator sees every account's orders, newest first, each naming its account", async () => {
    const page = await list('limit=100');
    expect(page.data.map((x) => x.id)).toEqual([o.o6, o.o5, o.o4, o.o3, o.o2, o.o1]);
    expect(page.data.map((x) => x.account)).toEqual([b.id, a.id, b.id, a.id, b.id, a.id]);
    expect(page.has_more).toBe(false);
  });

  it("the customer list still shows only the customer's own orders", async () => {
    const res = await h.call('GET', '/v1/orders?limit=100', { key: a.key });
    expect(res.json().data.map((x: { id: string }) => x.id)).toEqual([o.o5, o.o3, o.o1]);
  });

  it('account narrows the list to one account; an unknown account gives an empty page', async () => {
    expect(await ids(`account=${a.id}`)).toEqual([o.o5, o.o3, o.o1]);
    expect(await ids(`account=${b.id}`)).toEqual([o.o6, o.o4, o.o2]);
    expect(await list('account=acc_01J00000000000000000000000')).toEqual({
      object: 'list',
      data: [],
      has_more: false,
    });
  });

  it('each filter works across accounts', async () => {
    expect(await ids('product=mobile')).toEqual([o.o6, o.o5, o.o3, o.o2]);
    expect(await ids('type=renew')).toEqual([o.o6, o.o3]);
    expect(await ids('status=completed')).toEqual([o.o5, o.o4, o.o2, o.o1]);
    expect(await ids('payment_status=refunded')).toEqual([o.o4]);
    expect(await ids(`id=${o.o4}`)).toEqual([o.o4]);
    expect(await ids(`created_to=${day}`)).toEqual([o.o5, o.o4, o.o3, o.o2, o.o1]);
    expect(await ids(`created_from=${day}T12:00:00Z`)).toEqual([o.o6, o.o5, o.o4, o.o3]);
  });

  it('filters combine with each other and with account', async () => {
    const range = `created_from=${day}T11:00:00Z&created_to=${day}`;
    expect(await ids(`${range}&product=mobile`)).toEqual([o.o5, o.o3, o.o2]);
    expect(await ids(`${range}&product=mobile&type=new&status=completed`)).toEqual([o.o5, o.o2]);
    expect(await ids(`${range}&product=mobile&type=new&status=completed&account=${a.id}`)).toEqual([o.o5]);
    expect(await ids(`${range}&product=mobile&payment_status=paid&account=${b.id}`)).toEqual([o.o2]);
    expect(await ids(`type=renew&status=cancelled&account=${a.id}`)).toEqual([]);
    expect(await ids(`id=${o.o4}&account=${a.id}`)).toEqual([]);
    expect(await ids(`id=${o.o4}&account=${b.id}&product=residential&type=change`)).toEqual([o.o4]);
  });

  it("cursor pages walk all accounts' orders with no duplicates and no gaps", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 10; guard++) {
      const page = await list(`limit=4${after ? `&starting_after=${after}` : ''}`);
      seen.push(...page.data.map((x) => x.id));
      if (!page.has_more) break;
      after = page.data[page.data.length - 1]!.id;
    }
    expect(seen).toEqual([o.o6, o.o5, o.o4, o.o3, o.o2, o.o1]);
  });

  it('with account, a cursor from another account gives an empty page', async () => {
    expect(await ids(`starting_after=${o.o4}`)).toEqual([o.o3, o.o2, o.o1]);
    expect(await ids(`account=${a.id}&starting_after=${o.o3}`)).toEqual([o.o1]);
    expect(await ids(`account=${a.id}&starting_after=${o.o4}`)).toEqual([]);
  });

  it.each([
    'type=bogus',
    'status=paid',
    'payment_status=completed',
    'created_from=yesterday',
    'limit=101',
    'account=',
    `account=${'x'.repeat(65)}`,
  ])('%s is 400 invalid_request', async (query) => {
    const res = await h.call('GET', `/admin/v1/orders?${query}`, { admin: true });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: query.split('=')[0] });
  });

  it('created_from after created_to is 400 invalid_request', async () => {
    const res = await h.call(
      'GET',
      `/admin/v1/orders?created_from=${day}T12:00:00Z&created_to=${day}T11:00:00Z`,
      {
        admin: true,
      },
    );
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'created_from' });
  });
});

describe('GET /admin/v1/orders/{id}', () => {
  it("shows any account's order with its account, line items and events", async () => {
    for (const [id, account] of [
      [o.o5, a.id],
      [o.o2, b.id],
    ] as const) {
      const res = await h.call('GET', `/admin/v1/orders/${id}`, { admin: true });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        id,
        object: 'order',
        account,
        status: 'completed',
        payment_status: 'paid',
      });
      expect(body.line_items).toHaveLength(1);
      expect(body.events.map((e: { field: string; to: string }) => [e.field, e.to])).toEqual([
        ['status', 'completed'],
        ['payment_status', 'paid'],
      ]);
    }
    const mobile2 = (await h.call('GET', `/admin/v1/orders/${o.o5}`, { admin: true })).json();
    expect(mobile2.total_usd).toBe(mobile2.line_items[0].payable_usd);
    expect(mobile2.line_items[0].quantity).toBe(2);
  });

  it('an unknown order id is 404 not_found', async () => {
    for (const id of ['ord_01J00000000000000000000000', 'nonsense']) {
      const res = await h.call('GET', `/admin/v1/orders/${id}`, { admin: true });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'not_found', param: 'id' });
    }
  });
});

describe('who may look', () => {
  it.each(['/admin/v1/orders', '/admin/v1/orders?account=', '/admin/v1/orders/ORDER'])(
    '%s: a customer key is 403 forbidden, no token or a wrong one 401',
    async (path) => {
      const url = path.replace('ORDER', o.o1!).replace('account=', `account=${a.id}`);
      const asCustomer = await h.call('GET', url, { key: a.key });
      expect(asCustomer.statusCode).toBe(403);
      expect(asCustomer.json().error.code).toBe('forbidden');
      const none = await h.call('GET', url);
      expect(none.statusCode).toBe(401);
      expect(none.json().error.code).toBe('unauthenticated');
      const wrong = await h.call('GET', url, { headers: { authorization: 'Bearer not-a-token' } });
      expect(wrong.statusCode).toBe(401);
    },
  );

  it("a customer cannot reach another account's order through the customer API either", async () => {
    const res = await h.call('GET', `/v1/orders/${o.o2}`, { key: a.key });
    expect(res.statusCode).toBe(404);
  });

  it('looking moves no money', async () => {
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
