import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

describe('bandwidth orders (SPEC §3, seed api-orders)', () => {
  it('50 GB residential costs 225.00, completes at once and fills the pool', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"total_usd":225.00');
    const o = res.json();
    expect(o.id).toMatch(/^ord_[0-9A-Z]{26}$/);
    expect(o).toMatchObject({
      product: 'residential',
      type: 'new',
      status: 'completed',
      payment_status: 'paid',
      total_usd: 225,
      original_usd: 225,
      discount_usd: 0,
      paid_usd: 225,
      details: { gb: 50, price_per_gb: 4.5 },
    });
    expect(res.body).toContain('"price_per_gb":4.50');
    expect(o.line_items).toHaveLength(1);
    expect(o.line_items[0]).toMatchObject({ payable_usd: 225, paid_usd: 225, status: 'paid' });
    const acct = await h.call('GET', '/v1/account', { key: c.key });
    expect(acct.json().balance_usd).toBe(775);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('100 GB residential picks the starter tier: 400.00, with 50.00 off the 450.00 list price', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 100 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      total_usd: 400,
      original_usd: 450,
      discount_usd: 50,
      details: { plan: 'starter' },
    });
  });

  it('a named plan whose minimum is not met is 422 quantity_out_of_range', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const res = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50, plan: 'pro' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'quantity_out_of_range', param: 'plan' });
  });

  it.each([0, 100_001, 1.5, -3])('gb %s is 422 quantity_out_of_range', async (gb) => {
    const c = await h.customer({ balanceUsd: 1000 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('quantity_out_of_range');
  });

  it('mobile needs an approved KYC: 409 kyc_required, nothing charged', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'mobile', gb: 1 } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('kyc_required');
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(100);
  });

  it('no balance and no card is 409 insufficient_balance (215.00 short, in USD) and leaves nothing behind', async () => {
    const c = await h.customer({ balanceUsd: 10 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 50 } });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({
      code: 'insufficient_balance',
      decline_code: 'no_payment_method',
      balance_short_usd: 215,
    });
    // amounts in an error are USD with two decimals like everywhere else; no *_cents field
    expect(res.body).toContain('"balance_short_usd":215.00');
    expect(res.body).not.toContain('_cents');
    expect((await h.call('GET', '/v1/orders', { key: c.key })).json().data).toEqual([]);
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(10);
  });

  it('30 concurrent 4.50 orders on a 45.00 balance: exactly 10 succeed, balance ends at 0.00', async () => {
    const c = await h.customer({ balanceUsd: 45 });
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 1 } }),
      ),
    );
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((s) => s === 200)).toHaveLength(10);
    expect(codes.filter((s) => s === 409)).toHaveLength(20);
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
