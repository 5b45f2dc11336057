/**
 * Reserved-instance coupons (SPEC §7, issue 11 item 3) through HTTP: buying one with
 * POST /v1/orders (KYC, prepaid, balance then card, contract discount, quote), listing them, and
 * adjusting them with the seed's value apportionment (价值分摊规则), including its numbers end to
 * end, the errors, the dry run, tenant isolation and two adjustments racing for one coupon.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const DAY = 24 * 3600;

async function advance(seconds: number) {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode, res.body).toBe(200);
}

async function buy(key: string, spec: string, count: number, years: 1 | 3 = 1) {
  const res = await h.call('POST', '/v1/orders', {
    key,
    body: { product: 'reserved_instance', spec, count, years },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

interface Coupon {
  id: string;
  spec: string;
  count: number;
  years: number;
  compute_power: number;
  status: string;
  value_usd: number;
  starts_at: string;
  ends_at: string;
  term_starts_at: string;
  term_ends_at: string;
  order: string;
  replaced_by_order: string | null;
}

async function coupons(key: string): Promise<Coupon[]> {
  const res = await h.call('GET', '/v1/reserved-instances', { key });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

function adjust(key: string, body: unknown) {
  return h.call('POST', '/v1/reserved-instances/adjust', { key, body });
}

describe('buying a coupon: POST /v1/orders {product: reserved_instance}', () => {
  it('2 × s1.small for 1 year costs 400.00 (10 × 20 × 2), paid from the balance; the coupon is listed', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const order = await buy(c.key, 's1.small', 2, 1);
    expect(order).toMatchObject({
      product: 'reserved_instance',
      type: 'new',
      status: 'completed',
      payment_status: 'paid',
      payment_mode: 'prepaid',
      original_usd: 400,
      discount_usd: 0,
      total_usd: 400,
      paid_usd: 400,
    });
    expect(order.line_items).toHaveLength(1);
    const line = order.line_items[0];
    expect(line).toMatchObject({
      product: 'reserved_instance',
      config: { spec: 's1.small', count: 2, years: 1, compute_power: 2, unit_price: 200 },
      quantity: 2,
      unit_price_usd: 200,
      original_usd: 400,
      payable_usd: 400,
      duration: 'P1Y',
    });
    expect(line.instance_id).toMatch(/^ri_/);
    expect(await balanceOf(h, c.key)).toBe(600);

    const list = await coupons(c.key);
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: line.instance_id,
      object: 'reserved_instance',
      spec: 's1.small',
      count: 2,
      years: 1,
      compute_power: 2,
      status: 'active',
      value_usd: 400,
      order: order.id,
      replaced_by_order: null,
    });
    const start = new Date(list[0]!.starts_at);
    const end = new Date(list[0]!.ends_at);
    expect(end.getUTCFullYear() - start.getUTCFullYear()).toBe(1);
    expect(end.getUTCMonth()).toBe(start.getUTCMonth());
    expect(list[0]!.term_ends_at).toBe(list[0]!.ends_at);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('3 years costs 24 × the monthly price; the quote shows it and creates nothing', async () => {
    const c = await h.customer({ balanceUsd: 2000, kyc: true });
    const quote = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'reserved_instance', spec: 's1.medium', count: 1, years: 3 },
    });
    expect(quote.statusCode, quote.body).toBe(200);
    expect(JSON.stringify(quote.json())).toContain('960');
    expect(await coupons(c.key)).toHaveLength(0);
    expect(await balanceOf(h, c.key)).toBe(2000);
    const order = await buy(c.key, 's1.medium', 1, 3);
    expect(order.total_usd).toBe(960);
    expect((await coupons(c.key))[0]).toMatchObject({ years: 3, value_usd: 960, compute_power: 2 });
  });

  it('needs an approved KYC (409 kyc_required); count outside 1–1,000 is 422; years 2 is 400', async () => {
    const noKyc = await h.customer({ balanceUsd: 1000 });
    const refused = await h.call('POST', '/v1/orders', {
      key: noKyc.key,
      body: { product: 'reserved_instance', spec: 's1.small', count: 1, years: 1 },
    });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('kyc_required');

    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    for (const count of [0, 1001, 1.5]) {
      const res = await h.call('POST', '/v1/orders', {
        key: c.key,
        body: { product: 'reserved_instance', spec: 's1.small', count, years: 1 },
      });
      expect(res.statusCode, `count ${count}`).toBe(422);
      expect(res.json().error.code).toBe('quantity_out_of_range');
    }
    const years2 = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'reserved_instance', spec: 's1.small', count: 1, years: 2 },
    });
    expect(years2.statusCode).toBe(400);
    const later = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'reserved_instance', spec: 's1.small', count: 1, years: 1, pay: 'later' },
    });
    expect(later.statusCode).toBe(400);
    expect(await coupons(c.key)).toHaveLength(0);
    expect(await coupons(noKyc.key)).toHaveLength(0);
  });

  it('the balance first, the default card for the rest; the coupon is worth the whole price', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100, kyc: true });
    const order = await buy(c.key, 's1.medium', 1, 1);
    expect(order.total_usd).toBe(400);
    expect((await cardCharges(h, c.id)).map((x) => x.amount_cents)).toEqual([30000]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await coupons(c.key)).toMatchObject([{ spec: 's1.medium', value_usd: 400, status: 'active' }]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a crash after the card charge: recovery settles it through the coupon settler and creates the coupon', async () => {
    const c = await customerWithCard(h, { balanceUsd: 100, kyc: true });
    await expect(
      placeOrder(h.deps, {
        accountId: c.id,
        input: { product: 'reserved_instance', spec: 's1.small', count: 1, years: 1 },
        afterCharge: async () => {
          throw new Error('process died after the charge');
        },
      }),
    ).rejects.toThrow('process died');
    expect(await coupons(c.key)).toEqual([]);
    await h.clock.advance(60);
    expect(await recoverPayments(h.deps)).toMatchObject({ settled: 1, voided: 0, failed: 0 });
    const orders = (await h.call('GET', '/v1/orders', { key: c.key })).json().data;
    expect(orders).toMatchObject([
      { product: 'reserved_instance', type: 'new', payment_status: 'paid', total_usd: 200 },
    ]);
    expect(await coupons(c.key)).toMatchObject([
      {
        id: orders[0].line_items[0].instance_id,
        spec: 's1.small',
        count: 1,
        value_usd: 200,
        status: 'active',
      },
    ]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a 10 % contract discount on reserved_instance: 400.00 − 40.00 = 360.00, and the coupon is worth 360.00', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const put = await h.app.inject({
      method: 'PUT',
      url: `/admin/v1/accounts/${c.id}/contract-discounts`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      payload: { reserved_instance: 10 },
    });
    expect(put.statusCode, put.body).toBe(200);
    const order = await buy(c.key, 's1.small', 2, 1);
    expect(order).toMatchObject({ original_usd: 400, discount_usd: 40, total_usd: 360 });
    expect((await coupons(c.key))[0]!.value_usd).toBe(360);
  });
});

describe('adjusting coupons: POST /v1/reserved-instances/adjust', () => {
  /**
   * The seed's numbers: two coupons of compute 2 (s1.medium × 1, 400.00 for a 365-day year each)
   * whose remaining values are 100.00 and 50.00: B bought first, A 45.625 days later; seen when
   * B has 45.625 days (1/8 of its year) left and A 91.25 days (1/4).
   */
  async function seedCoupons(key: string) {
    await buy(key, 's1.medium', 1, 1); // B
    await advance(3_942_000); // 45.625 days
    await buy(key, 's1.medium', 1, 1); // A
    await advance(23_652_000); // now B has 3,942,000 s left of 31,536,000, A 7,884,000
    const [a, b] = await coupons(key); // newest first
    return { a: a!, b: b! };
  }

  it('the seed: remaining 100.00 + 50.00 at compute 2 + 2 → targets of compute 1 and 3 get 37.50 and 112.50', async () => {
    const c = await h.customer({ balanceUsd: 800, kyc: true });
    const { a, b } = await seedCoupons(c.key);
    const before = await balanceOf(h, c.key);

    const dry = await adjust(c.key, {
      sources: [a.id, b.id],
      targets: [{ spec: 's1.large', count: 1 }],
      dry_run: true,
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({
      dry_run: true,
      compute_power: 4,
      total_value_usd: 150,
      sources: [
        { id: a.id, compute_power: 2, value_usd: 400, remaining_value_usd: 100 },
        { id: b.id, compute_power: 2, value_usd: 400, remaining_value_usd: 50 },
      ],
      targets: [{ id: null, spec: 's1.large', count: 1, compute_power: 4, value_usd: 150 }],
      order: null,
    });

    const res = await adjust(c.key, {
      sources: [a.id, b.id],
      targets: [
        { spec: 's1.small', count: 1 },
        { spec: 's1.small', count: 3 },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const adj = res.json();
    expect(adj).toMatchObject({
      dry_run: false,
      compute_power: 4,
      total_value_usd: 150,
      sources: [{ remaining_value_usd: 100 }, { remaining_value_usd: 50 }],
      targets: [
        { spec: 's1.small', count: 1, compute_power: 1, value_usd: 37.5 },
        { spec: 's1.small', count: 3, compute_power: 3, value_usd: 112.5 },
      ],
    });
    // the targets' term: from now to the latest source end (A's)
    for (const t of adj.targets) {
      expect(t.id).toMatch(/^ri_/);
      expect(t.starts_at).toBe(adj.at);
      expect(t.ends_at).toBe(a.ends_at);
    }

    // the ri_adjust order: payable 0, the old coupons and the new ones as separate lines
    const order = adj.order;
    expect(order).toMatchObject({
      product: 'reserved_instance',
      type: 'ri_adjust',
      status: 'completed',
      payment_status: 'paid',
      total_usd: 0,
      paid_usd: 0,
    });
    expect(order.line_items).toHaveLength(4);
    const [la, lb, l1, l3] = order.line_items;
    expect(la).toMatchObject({
      instance_id: a.id,
      config: { role: 'source', spec: 's1.medium', count: 1, status: 'adjusted', remaining_value_usd: 100 },
      previous_config: { spec: 's1.medium', count: 1, status: 'active', value_usd: 400, compute_power: 2 },
      original_usd: 0,
      payable_usd: 0,
    });
    expect(lb).toMatchObject({ instance_id: b.id, config: { remaining_value_usd: 50 } });
    expect(l1).toMatchObject({
      instance_id: adj.targets[0].id,
      config: { role: 'target', spec: 's1.small', count: 1, value_usd: 37.5 },
      payable_usd: 0,
    });
    expect(l1.previous_config).toBeUndefined();
    expect(l3).toMatchObject({ instance_id: adj.targets[1].id, config: { count: 3, value_usd: 112.5 } });
    const stored = await h.call('GET', `/v1/orders/${order.id}`, { key: c.key });
    expect(stored.statusCode).toBe(200);
    expect(stored.json().line_items).toHaveLength(4);

    // the sources are adjusted, the targets active with their allocated values
    const list = await coupons(c.key);
    const byId = new Map(list.map((x) => [x.id, x]));
    expect(byId.get(a.id)).toMatchObject({ status: 'adjusted', replaced_by_order: order.id });
    expect(byId.get(b.id)).toMatchObject({ status: 'adjusted', replaced_by_order: order.id });
    expect(byId.get(adj.targets[0].id)).toMatchObject({
      status: 'active',
      value_usd: 37.5,
      order: order.id,
      term_ends_at: a.ends_at,
    });
    expect(byId.get(adj.targets[1].id)).toMatchObject({ status: 'active', value_usd: 112.5 });
    // nothing paid or refunded
    expect(await balanceOf(h, c.key)).toBe(before);

    // an adjusted coupon cannot be adjusted again: 409 invalid_state
    const again = await adjust(c.key, { sources: [a.id], targets: [{ spec: 's1.medium', count: 1 }] });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');

    // the allocated value is what the next adjustment uses: a quarter of the new term later, 3/4 left
    const termSeconds = (Date.parse(a.ends_at) - Date.parse(adj.at)) / 1000;
    expect(termSeconds).toBe(7_884_000);
    await advance(termSeconds / 4);
    const next = await adjust(c.key, {
      sources: [adj.targets[1].id],
      targets: [{ spec: 's1.small', count: 3 }],
      dry_run: true,
    });
    expect(next.statusCode, next.body).toBe(200);
    expect(next.json().sources[0].remaining_value_usd).toBe(84.38); // 112.50 × 3/4 = 84.375 → 84.38
  });

  it('422 compute_power_mismatch when the targets’ compute power differs; nothing changes', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    await buy(c.key, 's1.medium', 1);
    const [src] = await coupons(c.key);
    const res = await adjust(c.key, { sources: [src!.id], targets: [{ spec: 's1.small', count: 3 }] });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: 'compute_power_mismatch',
      source_compute_power: 2,
      target_compute_power: 3,
    });
    expect(await coupons(c.key)).toMatchObject([{ id: src!.id, status: 'active' }]);
  });

  it('a dry run changes nothing: no order, the source stays active, no new coupon', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    await buy(c.key, 's1.large', 1);
    const [src] = await coupons(c.key);
    const ordersBefore = (await h.call('GET', '/v1/orders', { key: c.key })).json().data.length;
    const res = await adjust(c.key, {
      sources: [src!.id],
      targets: [
        { spec: 's1.medium', count: 1 },
        { spec: 's1.small', count: 2 },
      ],
      dry_run: true,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      dry_run: true,
      order: null,
      total_value_usd: 800,
      targets: [{ value_usd: 400 }, { value_usd: 400 }],
    });
    expect(await coupons(c.key)).toMatchObject([{ id: src!.id, status: 'active', value_usd: 800 }]);
    expect((await h.call('GET', '/v1/orders', { key: c.key })).json().data.length).toBe(ordersBefore);
  });

  it('another account’s coupon is 404 (adjust, dry run and list); unknown is 404; a source named twice is 400', async () => {
    const owner = await h.customer({ balanceUsd: 1000, kyc: true });
    const other = await h.customer({ balanceUsd: 1000, kyc: true });
    await buy(owner.key, 's1.small', 2);
    const [src] = await coupons(owner.key);
    for (const dry_run of [true, false]) {
      const res = await adjust(other.key, {
        sources: [src!.id],
        targets: [{ spec: 's1.medium', count: 1 }],
        dry_run,
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('not_found');
    }
    expect(await coupons(other.key)).toEqual([]);
    expect(await coupons(owner.key)).toMatchObject([{ id: src!.id, status: 'active' }]);
    const unknown = await adjust(owner.key, {
      sources: ['ri_nope'],
      targets: [{ spec: 's1.small', count: 1 }],
    });
    expect(unknown.statusCode).toBe(404);
    const twice = await adjust(owner.key, {
      sources: [src!.id, src!.id],
      targets: [{ spec: 's1.large', count: 1 }],
    });
    expect(twice.statusCode).toBe(400);
  });

  it('an expired coupon cannot be adjusted (409) and is listed expired', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    await buy(c.key, 's1.small', 1);
    await advance(366 * DAY);
    const [src] = await coupons(c.key);
    expect(src!.status).toBe('expired');
    const res = await adjust(c.key, { sources: [src!.id], targets: [{ spec: 's1.small', count: 1 }] });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'invalid_state', status: 'expired' });
  });

  it('race: two concurrent adjustments of one coupon — one 200, one 409; one set of targets exists', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    await buy(c.key, 's1.medium', 1);
    const [src] = await coupons(c.key);
    const [x, y] = await Promise.all([
      adjust(c.key, { sources: [src!.id], targets: [{ spec: 's1.small', count: 2 }] }),
      adjust(c.key, {
        sources: [src!.id],
        targets: [
          { spec: 's1.small', count: 1 },
          { spec: 's1.small', count: 1 },
        ],
      }),
    ]);
    expect([x!.statusCode, y!.statusCode].sort()).toEqual([200, 409]);
    const lost = x!.statusCode === 409 ? x! : y!;
    expect(lost.json().error.code).toBe('invalid_state');
    const list = await coupons(c.key);
    expect(list.filter((k) => k.status === 'active')).toHaveLength(x!.statusCode === 200 ? 1 : 2);
    expect(list.find((k) => k.id === src!.id)!.status).toBe('adjusted');
    const adjustOrders = (await h.call('GET', '/v1/orders?type=ri_adjust', { key: c.key })).json().data;
    expect(adjustOrders).toHaveLength(1);
  });

  it('list pages with starting_after', async () => {
    const c = await h.customer({ balanceUsd: 2000, kyc: true });
    await buy(c.key, 's1.small', 1);
    await buy(c.key, 's1.small', 2);
    await buy(c.key, 's1.small', 3);
    const first = (await h.call('GET', '/v1/reserved-instances?limit=2', { key: c.key })).json();
    expect(first.data.map((x: Coupon) => x.count)).toEqual([3, 2]);
    expect(first.has_more).toBe(true);
    const second = (
      await h.call('GET', `/v1/reserved-instances?limit=2&starting_after=${first.data[1].id}`, { key: c.key })
    ).json();
    expect(second.data.map((x: Coupon) => x.count)).toEqual([1]);
    expect(second.has_more).toBe(false);
  });
});
