/**
 * The balance rules at ordering (SPEC §5) as the order use-cases apply them: checkOrderBalance
 * reads the account's balance and usable vouchers and the configured threshold. The prepaid case
 * through HTTP (arrears 50.00 + a 225.00 order → the card pays 275.00, balance 0.00) is in
 * orders-card-payment.test.ts; the pure table of every combination in
 * src/domain/payment-split.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOrderBalance } from '../src/app/orders/check-order-balance.ts';
import { errorStatus } from '../src/domain/errors.ts';
import { postpaidArrears } from './support/customers.ts';
import { type Harness, harness, START } from './support/harness.ts';
import { issueVoucher } from './support/vouchers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const HOURLY_PERIODIC = { paymentMode: 'postpaid', settlement: 'hourly', configuration: 'periodic' } as const;
const MONTHLY = { paymentMode: 'postpaid', settlement: 'monthly', configuration: 'periodic' } as const;

async function check(
  accountId: string,
  billing: Parameters<typeof checkOrderBalance>[1]['billing'],
  extra: { now?: Date } = {},
) {
  const now = extra.now ?? (await h.clock.now());
  const r = await checkOrderBalance(h.deps, { accountId, product: 'server', billing, now });
  if (r.ok) return { status: 200, ...r.value };
  return { status: errorStatus[r.error.code], code: r.error.code, detail: r.error.detail };
}

describe('checkOrderBalance: a postpaid hourly server (periodic, threshold 100.00)', () => {
  it('the catalog gives a postpaid server hourly settlement and a periodic configuration', async () => {
    const c = await h.customer({ balanceUsd: 99.99 });
    // the same answer whether the caller names the mode or the attributes
    expect(await check(c.id, 'postpaid')).toEqual(await check(c.id, HOURLY_PERIODIC));
  });

  it('99.99 balance and no vouchers: 409 balance_below_threshold', async () => {
    const c = await h.customer({ balanceUsd: 99.99 });
    expect(await check(c.id, 'postpaid')).toEqual({
      status: 409,
      code: 'balance_below_threshold',
      detail: { available_cents: 9999, threshold_cents: 10000 },
    });
  });

  it('100.00 balance: ok', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    expect(await check(c.id, 'postpaid')).toEqual({ status: 200, arrearsToCover: 0 });
  });

  it('60.00 balance and a 40.00 usable voucher: ok (vouchers count)', async () => {
    const c = await h.customer({ balanceUsd: 60 });
    expect((await check(c.id, 'postpaid')).code).toBe('balance_below_threshold');
    await issueVoucher(h, c.id, 40);
    expect(await check(c.id, 'postpaid')).toEqual({ status: 200, arrearsToCover: 0 });
  });

  it('only usable vouchers count: not another product’s, not an expired one', async () => {
    const c = await h.customer({ balanceUsd: 60 });
    await issueVoucher(h, c.id, 40, { products: ['residential'] });
    const soon = new Date(START.getTime() + 3_600_000).toISOString();
    await issueVoucher(h, c.id, 40, { expires_at: soon });
    // the residential-only voucher never counts for a server
    expect(await check(c.id, 'postpaid')).toEqual({ status: 200, arrearsToCover: 0 });
    expect(await check(c.id, 'postpaid', { now: new Date(START.getTime() + 2 * 3_600_000) })).toMatchObject({
      status: 409,
      code: 'balance_below_threshold',
      detail: { available_cents: 6000 },
    });
    // a server voucher counts
    await issueVoucher(h, c.id, 40, { products: ['server'] });
    expect(await check(c.id, 'postpaid', { now: new Date(START.getTime() + 2 * 3_600_000) })).toEqual({
      status: 200,
      arrearsToCover: 0,
    });
  });

  it('arrears: 409 arrears_outstanding, however much is in vouchers', async () => {
    const c = await h.customer();
    await issueVoucher(h, c.id, 500);
    await postpaidArrears(h, c.id, 5000);
    expect(await check(c.id, 'postpaid')).toEqual({
      status: 409,
      code: 'arrears_outstanding',
      detail: { arrears_cents: 5000 },
    });
  });
});

describe('checkOrderBalance: other modes', () => {
  it('postpaid settled monthly with arrears: 409 arrears_outstanding; cleared: ok with no threshold', async () => {
    const c = await h.customer();
    await postpaidArrears(h, c.id, 1);
    expect(await check(c.id, MONTHLY)).toEqual({
      status: 409,
      code: 'arrears_outstanding',
      detail: { arrears_cents: 1 },
    });
    const d = await h.customer();
    expect(await check(d.id, MONTHLY)).toEqual({ status: 200, arrearsToCover: 0 });
  });

  it('server traffic (postpaid, daily, metered) needs no arrears and nothing more', async () => {
    const c = await h.customer();
    expect(
      await check(c.id, { paymentMode: 'postpaid', settlement: 'daily', configuration: 'metered' }),
    ).toEqual({ status: 200, arrearsToCover: 0 });
  });

  it('prepaid with arrears: ok, and the payment must cover them', async () => {
    const c = await h.customer();
    await postpaidArrears(h, c.id, 5000);
    expect(await check(c.id, 'prepaid')).toEqual({ status: 200, arrearsToCover: 5000 });
  });

  it('a mode the catalog does not offer is a 400; an unknown account a 404', async () => {
    const c = await h.customer();
    const now = await h.clock.now();
    const r = await checkOrderBalance(h.deps, {
      accountId: c.id,
      product: 'residential',
      billing: 'postpaid',
      now,
    });
    expect(!r.ok && [r.error.code, r.error.param]).toEqual(['invalid_request', 'payment_mode']);
    expect((await check('acc_missing', 'postpaid')).code).toBe('not_found');
  });

  it('the threshold is configurable (ORDERDESK_BALANCE_THRESHOLD_CENTS)', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const deps = { ...h.deps, config: { ...h.deps.config, balanceThresholdCents: 15_000 } };
    const now = await h.clock.now();
    const r = await checkOrderBalance(deps, { accountId: c.id, product: 'server', billing: 'postpaid', now });
    expect(!r.ok && r.error.detail).toEqual({ available_cents: 10000, threshold_cents: 15000 });
  });

  it('inside a transaction, with the account locked', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    const now = await h.clock.now();
    const r = await h.db.tx((q) =>
      checkOrderBalance(h.deps, {
        accountId: c.id,
        product: 'server',
        billing: 'postpaid',
        now,
        q,
        lock: true,
      }),
    );
    expect(r).toEqual({ ok: true, value: { arrearsToCover: 0 } });
  });
});
