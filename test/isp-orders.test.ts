/** ISP orders through POST /v1/orders and /quote (SPEC §3, §4, §6). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { recoverPayments } from '../src/app/payments/recover-payments.ts';
import { balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, availableAt, batchIps, batchRow, jobsFor } from './support/isp-stock.ts';
import { orderCount } from './support/orders.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

describe('the seed example', () => {
  it('us/newyork/7922 × 20 for one month costs 120.00, is provisioning and holds a batch of 20 IPs', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 25 });
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"total_usd":120.00');
    expect(res.body).toContain('"price_per_ip":6.00');
    const o = res.json();
    expect(o).toMatchObject({
      product: 'isp',
      type: 'new',
      status: 'provisioning',
      payment_status: 'paid',
      original_usd: 120,
      discount_usd: 0,
      total_usd: 120,
      paid_usd: 120,
      details: {
        quantity: 20,
        country: 'us',
        city: 'newyork',
        asn: 7922,
        months: 1,
        expires_at: '2026-06-28T10:00:00.000Z',
        price_per_ip: 6,
      },
    });
    expect(o.details.batch_id).toMatch(/^bat_[0-9A-Z]{26}$/);
    expect(o.details).not.toHaveProperty('substitution');
    expect(o.line_items).toHaveLength(1);
    expect(o.line_items[0]).toMatchObject({
      product: 'isp',
      quantity: 20,
      unit_price_usd: 6,
      payable_usd: 120,
      paid_usd: 120,
      status: 'paid',
      instance_id: o.details.batch_id,
      duration: 'P1M',
      starts_at: '2026-05-28T10:00:00.000Z',
      ends_at: '2026-06-28T10:00:00.000Z',
    });

    const main = (await h.call('GET', '/v1/subusers', { key: c.key }))
      .json()
      .data.find((s: { is_main: boolean }) => s.is_main);
    const batch = await batchRow(h.db, o.details.batch_id);
    expect(batch).toMatchObject({
      account_id: c.id,
      order_id: o.id,
      subuser_id: main.id,
      country: 'us',
      city: 'newyork',
      asn: 7922,
      quantity: 20,
      months: 1,
      status: 'provisioning',
      auto_renew: false,
      substitution: null,
    });
    expect(batch!.period_started_at!.toISOString()).toBe('2026-05-28T10:00:00.000Z');
    expect(batch!.expires_at!.toISOString()).toBe('2026-06-28T10:00:00.000Z');
    const ips = await batchIps(h.db, o.details.batch_id);
    expect(ips).toHaveLength(20);
    expect(ips.every((i) => i.status === 'allocated' && i.batch_id === o.details.batch_id)).toBe(true);
    expect(await availableAt(h.db, { country: 'us', city: 'newyork', asn: 7922 })).toBe(5);

    // provisioning is a job, after the provisioner's T1 delay (120 s by default)
    const jobs = await jobsFor(h.db, 'provision_isp_batch', { batch_id: o.details.batch_id });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.payload).toEqual({ batch_id: o.details.batch_id });
    expect(jobs[0]!.run_at.toISOString()).toBe('2026-05-28T10:02:00.000Z');

    expect(await balanceOf(h, c.key)).toBe(380);
    const txns = (await h.call('GET', '/v1/billing/transactions', { key: c.key })).json().data;
    expect(txns[0]).toMatchObject({
      cause: 'order',
      amount_usd: -120,
      balance_after_usd: 380,
      order_id: o.id,
    });
    const got = await h.call('GET', `/v1/orders/${o.id}`, { key: c.key });
    expect(got.json()).toMatchObject({ status: 'provisioning', total_usd: 120, details: o.details });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it("another tenant's ISP order is 404 not_found", async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64520, count: 5 });
    const a = await h.customer({ balanceUsd: 100, kyc: true });
    const b = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: a.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 64520, quantity: 5 },
    });
    expect(res.statusCode).toBe(200);
    const other = await h.call('GET', `/v1/orders/${res.json().id}`, { key: b.key });
    expect(other.statusCode).toBe(404);
    expect(other.json().error.code).toBe('not_found');
  });
});

describe('pricing (SPEC §3)', () => {
  it('months 12 is 10% off: 10 × 5.00 × 12 = 600.00 − 60.00 = 540.00, expiring 12 months on', async () => {
    await addStock(h.db, { country: 'us', city: 'dallas', asn: 64521, count: 10 });
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    const now = await h.clock.now();
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'dallas', asn: 64521, quantity: 10, months: 12 },
    });
    expect(res.statusCode).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ original_usd: 600, discount_usd: 60, total_usd: 540, paid_usd: 540 });
    expect(o.details.months).toBe(12);
    const expires = new Date(now);
    expires.setUTCFullYear(expires.getUTCFullYear() + 1);
    expect(o.details.expires_at).toBe(expires.toISOString());
    expect(o.line_items[0].duration).toBe('P12M');
    expect(await balanceOf(h, c.key)).toBe(460);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a long-tail country costs 7.00 per IP, and any city there is 422 city_not_selectable', async () => {
    await addStock(h.db, { country: 'br', city: 'saopaulo', asn: 28573, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const bad = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'br', city: 'saopaulo', quantity: 5 },
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error).toMatchObject({ code: 'city_not_selectable', param: 'city' });
    expect(await balanceOf(h, c.key)).toBe(100);
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'br', quantity: 5 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total_usd: 35, details: { country: 'br', city: null, asn: null } });
    expect(await balanceOf(h, c.key)).toBe(65);
  });

  it.each([4, 5001, 7.5, 0])(
    'quantity %s is 422 quantity_out_of_range and charges nothing',
    async (quantity) => {
      const c = await h.customer({ balanceUsd: 100, kyc: true });
      const res = await h.call('POST', '/v1/orders', {
        key: c.key,
        body: { product: 'isp', country: 'us', city: 'newyork', quantity },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatchObject({ code: 'quantity_out_of_range', param: 'quantity' });
      expect(await balanceOf(h, c.key)).toBe(100);
      expect(await orderCount(h, c.key)).toBe(0);
    },
  );

  it.each([
    [{ months: 6 }, 'months'],
    [{ country: 'USA' }, 'country'],
    [{ on_shortage: 'maybe' }, 'on_shortage'],
    [{ gb: 5 }, 'gb'],
  ])('a malformed ISP body (%j) is 400 invalid_request naming %s', async (patch, param) => {
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', quantity: 5, ...patch },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param });
  });
});

describe('who may order (SPEC §2)', () => {
  it('before KYC approval an ISP order is 409 kyc_required: nothing charged, no stock taken', async () => {
    await addStock(h.db, { country: 'us', city: 'miami', asn: 64522, count: 5 });
    const c = await h.customer({ balanceUsd: 100 });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'miami', asn: 64522, quantity: 5 },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('kyc_required');
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await availableAt(h.db, { country: 'us', city: 'miami', asn: 64522 })).toBe(5);
  });

  it('the batch is bound to the named subuser of the account', async () => {
    await addStock(h.db, { country: 'us', city: 'miami', asn: 64523, count: 5 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const sub = await h.call('POST', '/v1/subusers', { key: c.key, body: { name: 'team-a' } });
    expect(sub.statusCode).toBe(200);
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: {
        product: 'isp',
        country: 'us',
        city: 'miami',
        asn: 64523,
        quantity: 5,
        subuser: sub.json().id,
        auto_renew: true,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(await batchRow(h.db, res.json().details.batch_id)).toMatchObject({
      subuser_id: sub.json().id,
      auto_renew: true,
    });
  });

  it("another account's subuser (or an unknown one) is 404 not_found param subuser, nothing charged", async () => {
    await addStock(h.db, { country: 'us', city: 'miami', asn: 64524, count: 5 });
    const a = await h.customer({ balanceUsd: 100, kyc: true });
    const b = await h.customer({ balanceUsd: 100, kyc: true });
    const bsub = (await h.call('GET', '/v1/subusers', { key: b.key })).json().data[0].id;
    for (const subuser of [bsub, 'sub_01HZZZZZZZZZZZZZZZZZZZZZZZ']) {
      const res = await h.call('POST', '/v1/orders', {
        key: a.key,
        body: { product: 'isp', country: 'us', city: 'miami', asn: 64524, quantity: 5, subuser },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'not_found', param: 'subuser' });
    }
    expect(await balanceOf(h, a.key)).toBe(100);
    expect(await availableAt(h.db, { country: 'us', city: 'miami', asn: 64524 })).toBe(5);
  });
});

describe('short stock with on_shortage fail (the default)', () => {
  it('3 available for 5 asked is 422 insufficient_inventory with available 3; nothing charged or taken', async () => {
    await addStock(h.db, { country: 'us', city: 'denver', asn: 64525, count: 3 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'denver', asn: 64525, quantity: 5 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'insufficient_inventory', available: 3, requested: 5 });
    expect(await balanceOf(h, c.key)).toBe(100);
    expect(await orderCount(h, c.key)).toBe(0);
    expect(await availableAt(h.db, { country: 'us', city: 'denver', asn: 64525 })).toBe(3);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('paying by card (SPEC §5)', () => {
  it('balance 10.00 and a 30.00 order: the card pays 20.00 and the stock is claimed at settlement', async () => {
    await addStock(h.db, { country: 'us', city: 'seattle', asn: 7018, count: 5 });
    const c = await customerWithCard(h, { balanceUsd: 10, kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'seattle', asn: 7018, quantity: 5 },
    });
    expect(res.statusCode).toBe(200);
    const o = res.json();
    expect(o).toMatchObject({ status: 'provisioning', payment_status: 'paid', total_usd: 30 });
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 2000, status: 'succeeded', refunded_cents: 0 },
    ]);
    expect(await batchIps(h.db, o.details.batch_id)).toHaveLength(5);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await jobsFor(h.db, 'provision_isp_batch', { batch_id: o.details.batch_id })).toHaveLength(1);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('no card is charged for an order the stock cannot serve', async () => {
    const c = await customerWithCard(h, { kyc: true });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'seattle', asn: 64526, quantity: 5 },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'insufficient_inventory', available: 0 });
    expect(await cardCharges(h, c.id)).toEqual([]);
  });

  it('stock gone between the charge and the settlement: settling is refused and the card refunded', async () => {
    await addStock(h.db, { country: 'us', city: 'seattle', asn: 64527, count: 5 });
    const c = await customerWithCard(h, { kyc: true });
    const r = await placeOrder(h.deps, {
      accountId: c.id,
      input: { product: 'isp', country: 'us', city: 'seattle', asn: 64527, quantity: 5 },
      afterCharge: async () => {
        await h.db.query(`UPDATE isp_ips SET status = 'retired' WHERE country = 'us' AND asn = 64527`);
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'insufficient_inventory', detail: { available: 0 } });
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 2500, status: 'succeeded', refunded_cents: 2500 },
    ]);
    const pay = await h.db.query<{ status: string }>('SELECT status FROM payments WHERE account_id = $1', [
      c.id,
    ]);
    expect(pay).toEqual([{ status: 'voided' }]);
    expect(await orderCount(h, c.key)).toBe(0);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('crash recovery (SPEC §5)', () => {
  it('a card charged before a crash is settled by recovery: the order gets its stock then', async () => {
    await addStock(h.db, { country: 'us', city: 'phoenix', asn: 64531, count: 5 });
    const c = await customerWithCard(h, { kyc: true });
    await expect(
      placeOrder(h.deps, {
        accountId: c.id,
        input: {
          product: 'isp',
          country: 'us',
          city: 'phoenix',
          asn: 64531,
          quantity: 5,
          onShortage: 'fail',
        },
        afterCharge: async () => {
          throw new Error('process died');
        },
      }),
    ).rejects.toThrow('process died');
    expect(await orderCount(h, c.key)).toBe(0);
    expect(await availableAt(h.db, { country: 'us', city: 'phoenix', asn: 64531 })).toBe(5);
    await h.clock.advance(1);
    expect(await recoverPayments(h.deps, { olderThanSeconds: 0 })).toMatchObject({ settled: 1 });
    const orders = (await h.call('GET', '/v1/orders', { key: c.key })).json().data;
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      product: 'isp',
      status: 'provisioning',
      payment_status: 'paid',
      total_usd: 25,
    });
    expect(await batchIps(h.db, orders[0].details.batch_id)).toHaveLength(5);
    expect(await availableAt(h.db, { country: 'us', city: 'phoenix', asn: 64531 })).toBe(0);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('idempotency (SPEC §1)', () => {
  it('the same Idempotency-Key twice places one order and claims the stock once', async () => {
    await addStock(h.db, { country: 'us', city: 'boston', asn: 64528, count: 10 });
    const c = await h.customer({ balanceUsd: 100, kyc: true });
    const body = { product: 'isp', country: 'us', city: 'boston', asn: 64528, quantity: 5 };
    const headers = { 'idempotency-key': 'isp-once' };
    const first = await h.call('POST', '/v1/orders', { key: c.key, body, headers });
    const again = await h.call('POST', '/v1/orders', { key: c.key, body, headers });
    expect(first.statusCode, first.body).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    expect(await availableAt(h.db, { country: 'us', city: 'boston', asn: 64528 })).toBe(5);
    expect(await balanceOf(h, c.key)).toBe(75);
  });
});

describe('quote (SPEC §4)', () => {
  it('an ISP quote shows the price and the stock outcome, and takes neither money nor stock', async () => {
    await addStock(h.db, { country: 'us', city: 'atlanta', asn: 7922, count: 20 });
    const c = await h.customer({ balanceUsd: 50, kyc: true });
    const res = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'atlanta', asn: 7922, quantity: 20 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      object: 'order_quote',
      status: 'pending_payment',
      payment_status: 'pending_payment',
      total_usd: 120,
      paid_usd: 0,
      payment: { from_balance_usd: 50, from_card_usd: 70 },
      stock: { available: 20, outcome: 'provisioning', substitution: null },
    });
    expect(res.json().checks).toEqual([{ code: 'insufficient_balance', message: expect.any(String) }]);
    expect(await availableAt(h.db, { country: 'us', city: 'atlanta', asn: 7922 })).toBe(20);
    expect(await balanceOf(h, c.key)).toBe(50);
  });

  it('a quote names the checks that would fail: kyc_required and insufficient_inventory', async () => {
    const c = await h.customer({ balanceUsd: 500 });
    const res = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'atlanta', asn: 64529, quantity: 5 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks.map((x: { code: string }) => x.code)).toEqual([
      'kyc_required',
      'insufficient_inventory',
    ]);
    expect(res.json().stock).toEqual({ available: 0, outcome: 'insufficient', substitution: null });
  });

  it('a quote with on_shortage wait says the order would wait', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    const res = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'atlanta', asn: 64529, quantity: 5, on_shortage: 'wait' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      checks: [],
      stock: { outcome: 'waiting_inventory' },
      details: { expires_at: null },
    });
  });
});

describe('no IP is ever in two batches', () => {
  it('100 IPs and 40 concurrent orders of 5: exactly 20 succeed, every IP in one batch, ledger balanced', async () => {
    await addStock(h.db, { country: 'us', city: 'chicago', asn: 64530, count: 100 });
    const buyers = await Promise.all(
      Array.from({ length: 4 }, () => h.customer({ balanceUsd: 1000, kyc: true })),
    );
    const body = { product: 'isp', country: 'us', city: 'chicago', asn: 64530, quantity: 5 };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => h.call('POST', '/v1/orders', { key: buyers[i % 4]!.key, body })),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((s) => s === 200)).toHaveLength(20);
    expect(codes.filter((s) => s === 422)).toHaveLength(20);
    for (const r of results.filter((x) => x.statusCode === 422)) {
      expect(r.json().error.code).toBe('insufficient_inventory');
    }
    const batchIds = results
      .filter((r) => r.statusCode === 200)
      .map((r) => r.json().details.batch_id as string);
    const rows = await h.db.query<{ batch_id: string; ip_id: string }>(
      `SELECT bi.batch_id, bi.ip_id FROM isp_batch_ips bi JOIN isp_ips i ON i.id = bi.ip_id
       WHERE i.country = 'us' AND i.asn = 64530`,
    );
    expect(rows).toHaveLength(100);
    expect(new Set(rows.map((r) => r.ip_id)).size).toBe(100);
    expect(new Set(rows.map((r) => r.batch_id))).toEqual(new Set(batchIds));
    for (const id of batchIds) expect(rows.filter((r) => r.batch_id === id)).toHaveLength(5);
    const ips = await h.db.query<{ status: string; n: number }>(
      `SELECT status, count(*)::int8 AS n FROM isp_ips WHERE country = 'us' AND asn = 64530 GROUP BY status`,
    );
    expect(ips).toEqual([{ status: 'allocated', n: 100 }]);
    const balances = await Promise.all(buyers.map((b) => balanceOf(h, b.key)));
    // each success costs 5 × 5.00 = 25.00
    expect(balances.reduce((s, b) => s + (1000 - b), 0)).toBe(500);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
