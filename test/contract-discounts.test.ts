/**
 * Contract discounts (SPEC §3, §11; issue 11 item 5): PUT/GET /admin/v1/accounts/{id}/contract-discounts
 * and the line items' discount_usd. The rule (docs/decisions.md): the contract percent applies to the
 * price after the plan tier and the yearly discount, half-up to the cent, and adds to discount_usd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Harness, harness } from './support/harness.ts';
import { addStock } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

function put(accountId: string, body: unknown, auth = `Bearer ${ADMIN_TOKEN}`) {
  return h.app.inject({
    method: 'PUT',
    url: `/admin/v1/accounts/${accountId}/contract-discounts`,
    headers: { authorization: auth },
    payload: body as object,
  });
}

async function setDiscounts(accountId: string, body: Record<string, number>) {
  const res = await put(accountId, body);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const residential50 = { product: 'residential', gb: 50 };
const isp20 = (months: 1 | 12) => ({
  product: 'isp',
  country: 'us',
  city: 'newyork',
  asn: 7922,
  quantity: 20,
  months,
});

describe('PUT / GET /admin/v1/accounts/{id}/contract-discounts', () => {
  it('replaces the whole set: products not named have none; GET reads it back', async () => {
    const c = await h.customer();
    const none = await h.call('GET', `/admin/v1/accounts/${c.id}/contract-discounts`, { admin: true });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({
      object: 'contract_discounts',
      account_id: c.id,
      residential: 0,
      mobile: 0,
      isp: 0,
      server: 0,
      reserved_instance: 0,
    });
    expect(await setDiscounts(c.id, { residential: 10, isp: 12.5, mobile: 0.01 })).toMatchObject({
      residential: 10,
      mobile: 0.01,
      isp: 12.5,
      server: 0,
    });
    // replace: mobile and isp, not named now, are gone
    expect(await setDiscounts(c.id, { server: 100 })).toMatchObject({
      residential: 0,
      mobile: 0,
      isp: 0,
      server: 100,
      reserved_instance: 0,
    });
    const read = await h.call('GET', `/admin/v1/accounts/${c.id}/contract-discounts`, { admin: true });
    expect(read.json()).toMatchObject({ residential: 0, server: 100 });
  });

  it('400 for a percent outside 0–100, more than two decimals, or an unknown product; nothing changes', async () => {
    const c = await h.customer();
    await setDiscounts(c.id, { residential: 5 });
    for (const body of [
      { residential: 101 },
      { residential: -1 },
      { residential: 100.01 },
      { residential: 10.125 },
      { residential: '10' },
      { gold: 10 },
    ]) {
      const res = await put(c.id, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error.code).toBe('invalid_request');
    }
    const read = await h.call('GET', `/admin/v1/accounts/${c.id}/contract-discounts`, { admin: true });
    expect(read.json().residential).toBe(5);
  });

  it('404 for an unknown account (PUT and GET)', async () => {
    const res = await put('acct_nope', { residential: 10 });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    const get = await h.call('GET', '/admin/v1/accounts/acct_nope/contract-discounts', { admin: true });
    expect(get.statusCode).toBe(404);
  });

  it('a customer key is refused; no token is 401', async () => {
    const c = await h.customer();
    const byKey = await put(c.id, { residential: 90 }, `Bearer ${c.key}`);
    expect([401, 403]).toContain(byKey.statusCode);
    const get = await h.call('GET', `/admin/v1/accounts/${c.id}/contract-discounts`, { key: c.key });
    expect([401, 403]).toContain(get.statusCode);
    const anon = await h.app.inject({
      method: 'PUT',
      url: `/admin/v1/accounts/${c.id}/contract-discounts`,
      payload: { residential: 90 },
    });
    expect(anon.statusCode).toBe(401);
    const read = await h.call('GET', `/admin/v1/accounts/${c.id}/contract-discounts`, { admin: true });
    expect(read.json().residential).toBe(0);
  });
});

describe('bandwidth: the seed example', () => {
  it('10 % on 50 GB residential: original 225.00, discount 22.50, payable 202.50 on the order, its line and the quote', async () => {
    const c = await h.customer({ balanceUsd: 1000, kyc: true });
    await setDiscounts(c.id, { residential: 10 });

    const quote = await h.call('POST', '/v1/orders/quote', { key: c.key, body: residential50 });
    expect(quote.statusCode, quote.body).toBe(200);
    expect(quote.body).toContain('"original_usd":225.00');
    expect(quote.body).toContain('"discount_usd":22.50');
    expect(quote.json()).toMatchObject({ original_usd: 225, discount_usd: 22.5, total_usd: 202.5 });
    expect(quote.json().line_items[0]).toMatchObject({
      original_usd: 225,
      discount_usd: 22.5,
      payable_usd: 202.5,
    });

    // pay now from the balance: the hot path (cached prices, discounts read with the principal)
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: residential50 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"total_usd":202.50');
    const o = res.json();
    expect(o).toMatchObject({
      original_usd: 225,
      discount_usd: 22.5,
      voucher_usd: 0,
      total_usd: 202.5,
      paid_usd: 202.5,
    });
    expect(o.line_items[0]).toMatchObject({
      original_usd: 225,
      discount_usd: 22.5,
      voucher_usd: 0,
      payable_usd: 202.5,
      paid_usd: 202.5,
    });
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(797.5);
    // read back as stored
    const again = (await h.call('GET', `/v1/orders/${o.id}`, { key: c.key })).json();
    expect(again).toMatchObject({ original_usd: 225, discount_usd: 22.5, total_usd: 202.5 });

    // mobile has no contract discount: list price
    const mobile = (
      await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'mobile', gb: 10 } })
    ).json();
    expect(mobile).toMatchObject({ original_usd: 60, discount_usd: 0, total_usd: 60 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('on top of the plan tier: 10 % on 100 GB (starter 4.00): 450.00 − (50.00 + 40.00) = 360.00', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    await setDiscounts(c.id, { residential: 10 });
    const o = (
      await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 100 } })
    ).json();
    expect(o).toMatchObject({ original_usd: 450, discount_usd: 90, total_usd: 360 });
  });

  it('pay later and paying from the card use it too', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    await setDiscounts(c.id, { residential: 10 });
    const later = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { ...residential50, pay: 'later' },
    });
    expect(later.statusCode, later.body).toBe(200);
    expect(later.json()).toMatchObject({
      payment_status: 'pending_payment',
      discount_usd: 22.5,
      total_usd: 202.5,
    });
  });

  it('0 % or removed → list price again; earlier orders keep their amounts; another account is unaffected', async () => {
    const c = await h.customer({ balanceUsd: 1000 });
    const other = await h.customer({ balanceUsd: 1000 });
    await setDiscounts(c.id, { residential: 10 });
    const first = (await h.call('POST', '/v1/orders', { key: c.key, body: residential50 })).json();
    expect(first.total_usd).toBe(202.5);

    // tenant isolation: the other account pays list price, on the order and the quote
    const theirs = (await h.call('POST', '/v1/orders', { key: other.key, body: residential50 })).json();
    expect(theirs).toMatchObject({ original_usd: 225, discount_usd: 0, total_usd: 225 });
    const theirQuote = (
      await h.call('POST', '/v1/orders/quote', { key: other.key, body: residential50 })
    ).json();
    expect(theirQuote).toMatchObject({ discount_usd: 0, total_usd: 225 });

    await setDiscounts(c.id, { residential: 0 });
    const zero = (await h.call('POST', '/v1/orders', { key: c.key, body: residential50 })).json();
    expect(zero).toMatchObject({ original_usd: 225, discount_usd: 0, total_usd: 225 });

    await setDiscounts(c.id, { residential: 20 });
    expect((await h.call('POST', '/v1/orders', { key: c.key, body: residential50 })).json().total_usd).toBe(
      180,
    );
    await setDiscounts(c.id, {}); // removed
    const removed = (await h.call('POST', '/v1/orders', { key: c.key, body: residential50 })).json();
    expect(removed).toMatchObject({ discount_usd: 0, total_usd: 225 });

    // the first order keeps what it was sold at
    const kept = (await h.call('GET', `/v1/orders/${first.id}`, { key: c.key })).json();
    expect(kept).toMatchObject({ original_usd: 225, discount_usd: 22.5, total_usd: 202.5, paid_usd: 202.5 });
    expect(kept.line_items[0]).toMatchObject({ discount_usd: 22.5, payable_usd: 202.5 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('ISP', () => {
  it('10 % on 20 IPs us/newyork/7922: 120.00 original, 12.00 discount, 108.00 payable (quote and order)', async () => {
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 7922, count: 60 });
    const c = await h.customer({ balanceUsd: 5000, kyc: true });
    const other = await h.customer({ balanceUsd: 500, kyc: true });
    await setDiscounts(c.id, { isp: 10 });

    const quote = await h.call('POST', '/v1/orders/quote', { key: c.key, body: isp20(1) });
    expect(quote.statusCode, quote.body).toBe(200);
    expect(quote.json()).toMatchObject({ original_usd: 120, discount_usd: 12, total_usd: 108 });

    const res = await h.call('POST', '/v1/orders', { key: c.key, body: isp20(1) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"total_usd":108.00');
    const o = res.json();
    expect(o).toMatchObject({ original_usd: 120, discount_usd: 12, total_usd: 108, paid_usd: 108 });
    expect(o.line_items[0]).toMatchObject({
      original_usd: 120,
      discount_usd: 12,
      payable_usd: 108,
      paid_usd: 108,
    });

    // a renewal (dry run and real) takes the contract discount at renewal time
    const batchId = o.details.batch_id as string;
    const adv = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds: 120 } });
    expect(adv.statusCode, adv.body).toBe(200); // provisioned: ready
    const dry = await h.call('POST', `/v1/isp/batches/${batchId}/renew`, {
      key: c.key,
      body: { months: 1, dry_run: true },
    });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({ original_usd: 120, discount_usd: 12, total_usd: 108 });
    const renewed = await h.call('POST', `/v1/isp/batches/${batchId}/renew`, {
      key: c.key,
      body: { months: 1 },
    });
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json()).toMatchObject({
      type: 'renew',
      original_usd: 120,
      discount_usd: 12,
      total_usd: 108,
    });

    // tenant isolation
    const theirs = (await h.call('POST', '/v1/orders', { key: other.key, body: isp20(1) })).json();
    expect(theirs).toMatchObject({ original_usd: 120, discount_usd: 0, total_usd: 120 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('yearly: the yearly 10 % first, then the contract 10 % of the rest: 1440.00 − (144.00 + 129.60) = 1166.40', async () => {
    const c = await h.customer({ balanceUsd: 5000, kyc: true });
    await setDiscounts(c.id, { isp: 10 });
    const quote = (await h.call('POST', '/v1/orders/quote', { key: c.key, body: isp20(12) })).json();
    expect(quote).toMatchObject({ original_usd: 1440, discount_usd: 273.6, total_usd: 1166.4 });
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: isp20(12) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.body).toContain('"discount_usd":273.60');
    expect(res.json()).toMatchObject({ original_usd: 1440, discount_usd: 273.6, total_usd: 1166.4 });
    expect(res.json().line_items[0]).toMatchObject({ discount_usd: 273.6, payable_usd: 1166.4 });

    // removed → the yearly discount only
    await setDiscounts(c.id, {});
    const plain = (await h.call('POST', '/v1/orders/quote', { key: c.key, body: isp20(12) })).json();
    expect(plain).toMatchObject({ original_usd: 1440, discount_usd: 144, total_usd: 1296 });
  });
});
