import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveVoucher } from '../src/db/ledger.ts';
import { type Harness, harness } from './support/harness.ts';
import { IN_30_DAYS } from './support/vouchers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

function issue(accountId: string, body: unknown, headers?: Record<string, string>) {
  return h.call('POST', `/admin/v1/accounts/${accountId}/vouchers`, {
    admin: true,
    body,
    ...(headers ? { headers } : {}),
  });
}

async function voucherEntries(voucherId: string) {
  return h.db.query<{ amount: number; balance_after: number; cause: string; memo: string }>(
    'SELECT amount, balance_after, cause, memo FROM ledger_entries WHERE asset = $1 ORDER BY seq',
    [`voucher:${voucherId}`],
  );
}

describe('issuing vouchers (SPEC §5, §11)', () => {
  it('issues a voucher with its whole amount remaining, recorded as a voucher_issued ledger entry', async () => {
    const c = await h.customer();
    const res = await issue(c.id, { amount_usd: 25.5, expires_at: IN_30_DAYS, products: ['residential'] });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"amount_usd":25.50');
    expect(res.body).toContain('"remaining_usd":25.50');
    const v = res.json();
    expect(v.id).toMatch(/^vch_[0-9A-Z]{26}$/);
    expect(v).toEqual({
      id: v.id,
      object: 'voucher',
      amount_usd: 25.5,
      remaining_usd: 25.5,
      products: ['residential'],
      status: 'active',
      expires_at: IN_30_DAYS,
      created_at: '2026-05-28T10:00:00.000Z',
    });
    expect(await voucherEntries(v.id)).toEqual([
      { amount: 2550, balance_after: 2550, cause: 'voucher_issued', memo: 'issued by bootstrap' },
    ]);
    // a voucher is not cash: the balance is unchanged
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().balance_usd).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('without products the voucher pays for any product (products: null); a list is kept in catalogue order once each', async () => {
    const c = await h.customer();
    const any = await issue(c.id, { amount_usd: '10', expires_at: '2026-06-01T00:00:00+08:00' });
    expect(any.statusCode).toBe(200);
    expect(any.json()).toMatchObject({
      products: null,
      amount_usd: 10,
      expires_at: '2026-05-31T16:00:00.000Z',
    });
    const some = await issue(c.id, {
      amount_usd: 1,
      expires_at: IN_30_DAYS,
      products: ['server', 'isp', 'server', 'reserved_instance', 'mobile'],
    });
    expect(some.json().products).toEqual(['mobile', 'isp', 'server', 'reserved_instance']);
  });

  it.each([
    ['an expiry in the past', { amount_usd: 10, expires_at: '2026-05-27T10:00:00Z' }, 'expires_at'],
    ['an expiry equal to now', { amount_usd: 10, expires_at: '2026-05-28T10:00:00Z' }, 'expires_at'],
    ['an expiry without a zone', { amount_usd: 10, expires_at: '2026-07-01T00:00:00' }, 'expires_at'],
    ['a date that does not exist', { amount_usd: 10, expires_at: '2026-02-30T00:00:00Z' }, 'expires_at'],
    [
      'an expiry in the year 10000 (UTC)',
      { amount_usd: 10, expires_at: '9999-12-31T23:59:59-14:00' },
      'expires_at',
    ],
    ['a zero amount', { amount_usd: 0, expires_at: IN_30_DAYS }, 'amount_usd'],
    ['a negative amount', { amount_usd: -5, expires_at: IN_30_DAYS }, 'amount_usd'],
    ['three decimals', { amount_usd: 1.005, expires_at: IN_30_DAYS }, 'amount_usd'],
    ['over 1,000,000.00', { amount_usd: 1_000_000.01, expires_at: IN_30_DAYS }, 'amount_usd'],
    [
      'an unknown product',
      { amount_usd: 10, expires_at: IN_30_DAYS, products: ['datacenter'] },
      'products.0',
    ],
    ['an empty product list', { amount_usd: 10, expires_at: IN_30_DAYS, products: [] }, 'products'],
    ['no expiry', { amount_usd: 10 }, 'expires_at'],
  ])('%s is 400 invalid_request and issues nothing', async (_what, body, param) => {
    const c = await h.customer();
    const res = await issue(c.id, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param });
    expect((await h.call('GET', '/v1/vouchers', { key: c.key })).json().data).toEqual([]);
  });

  it('the expiry is checked against the (test) clock, not the wall clock', async () => {
    const c = await h.customer();
    const soon = new Date((await h.deps.clock.now()).getTime() + 60_000).toISOString();
    await h.clock.advance(120);
    const res = await issue(c.id, { amount_usd: 10, expires_at: soon });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe('expires_at');
  });

  it('an unknown account is 404 not_found', async () => {
    const res = await issue('acc_01HZZZZZZZZZZZZZZZZZZZZZZZ', { amount_usd: 10, expires_at: IN_30_DAYS });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('a customer key on the issuing route is 403 forbidden, even for its own account; no token is 401', async () => {
    const c = await h.customer();
    const self = await h.call('POST', `/admin/v1/accounts/${c.id}/vouchers`, {
      key: c.key,
      body: { amount_usd: 1000, expires_at: IN_30_DAYS },
    });
    expect(self.statusCode).toBe(403);
    expect(self.json().error.code).toBe('forbidden');
    const anon = await h.call('POST', `/admin/v1/accounts/${c.id}/vouchers`, {
      body: { amount_usd: 1000, expires_at: IN_30_DAYS },
    });
    expect(anon.statusCode).toBe(401);
    expect(anon.json().error.code).toBe('unauthenticated');
    expect((await h.call('GET', '/v1/vouchers', { key: c.key })).json().data).toEqual([]);
  });

  it('an Idempotency-Key replay returns the same voucher and issues nothing more', async () => {
    const c = await h.customer();
    const body = { amount_usd: 50, expires_at: IN_30_DAYS };
    const first = await issue(c.id, body, { 'idempotency-key': `vch-${c.id}` });
    const again = await issue(c.id, body, { 'idempotency-key': `vch-${c.id}` });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect((await h.call('GET', '/v1/vouchers', { key: c.key })).json().data).toHaveLength(1);
    expect(await voucherEntries(first.json().id)).toHaveLength(1);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});

describe('listing vouchers (SPEC §5)', () => {
  it("lists the account's vouchers newest first with cursor pagination", async () => {
    const c = await h.customer();
    const ids: string[] = [];
    for (const amount of [1, 2, 3]) {
      await h.clock.advance(1);
      ids.push((await issue(c.id, { amount_usd: amount, expires_at: '2027-01-01T00:00:00Z' })).json().id);
    }
    const first = await h.call('GET', '/v1/vouchers?limit=2', { key: c.key });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ object: 'list', has_more: true });
    expect(first.json().data.map((v: { id: string }) => v.id)).toEqual([ids[2], ids[1]]);
    const rest = await h.call('GET', `/v1/vouchers?limit=2&starting_after=${ids[1]}`, { key: c.key });
    expect(rest.json()).toMatchObject({ has_more: false, data: [{ id: ids[0], amount_usd: 1 }] });
    expect((await h.call('GET', '/v1/vouchers?limit=101', { key: c.key })).statusCode).toBe(400);
    const admin = await h.call('GET', `/admin/v1/accounts/${c.id}/vouchers`, { admin: true });
    expect(admin.json().data.map((v: { id: string }) => v.id)).toEqual([ids[2], ids[1], ids[0]]);
  });

  it('status is computed from the clock: active before expires_at, expired from it on', async () => {
    const c = await h.customer();
    const now = await h.deps.clock.now();
    const inAnHour = new Date(now.getTime() + 3600_000).toISOString();
    const v = (await issue(c.id, { amount_usd: 5, expires_at: inAnHour })).json();
    const later = (await issue(c.id, { amount_usd: 7, expires_at: '2030-01-01T00:00:00Z' })).json();
    expect(v.status).toBe('active');
    await h.clock.advance(3599);
    expect((await h.call('GET', `/v1/vouchers/${v.id}`, { key: c.key })).json().status).toBe('active');
    await h.clock.advance(1);
    expect((await h.call('GET', `/v1/vouchers/${v.id}`, { key: c.key })).json()).toMatchObject({
      status: 'expired',
      remaining_usd: 5,
    });
    const expired = await h.call('GET', '/v1/vouchers?status=expired', { key: c.key });
    expect(expired.json().data.map((x: { id: string }) => x.id)).toEqual([v.id]);
    const active = await h.call('GET', '/v1/vouchers?status=active', { key: c.key });
    expect(active.json().data.map((x: { id: string }) => x.id)).toEqual([later.id]);
    expect((await h.call('GET', '/v1/vouchers?status=used_up', { key: c.key })).json().data).toEqual([]);
    expect((await h.call('GET', '/v1/vouchers?status=gone', { key: c.key })).statusCode).toBe(400);
  });

  it('a voucher with nothing left is used_up', async () => {
    const c = await h.customer();
    const v = (await issue(c.id, { amount_usd: 5, expires_at: '2030-01-01T00:00:00Z' })).json();
    // spend it the way payment will: a voucher ledger move (orders that redeem vouchers come later)
    await h.db.tx((q) =>
      moveVoucher(q, {
        id: h.deps.ids.next('txn'),
        accountId: c.id,
        voucherId: v.id,
        amount: -500,
        cause: 'order',
        at: new Date('2026-05-28T10:00:00Z'),
      }),
    );
    expect((await h.call('GET', `/v1/vouchers/${v.id}`, { key: c.key })).json()).toMatchObject({
      status: 'used_up',
      remaining_usd: 0,
      amount_usd: 5,
    });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it("another tenant never sees an account's vouchers: not in its list, 404 by id, foreign cursor yields nothing", async () => {
    const a = await h.customer();
    const b = await h.customer();
    const v = (await issue(a.id, { amount_usd: 100, expires_at: IN_30_DAYS })).json();
    await issue(b.id, { amount_usd: 1, expires_at: IN_30_DAYS });
    const bList = (await h.call('GET', '/v1/vouchers', { key: b.key })).json().data;
    expect(bList).toHaveLength(1);
    expect(bList[0].id).not.toBe(v.id);
    const byId = await h.call('GET', `/v1/vouchers/${v.id}`, { key: b.key });
    expect(byId.statusCode).toBe(404);
    expect(byId.json().error.code).toBe('not_found');
    const cursor = await h.call('GET', `/v1/vouchers?starting_after=${v.id}`, { key: b.key });
    expect(cursor.json().data).toEqual([]);
    expect((await h.call('GET', `/v1/vouchers/${v.id}`, { key: a.key })).statusCode).toBe(200);
  });

  it('the operator list of an unknown account is 404; customers cannot use it', async () => {
    const c = await h.customer();
    const unknown = await h.call('GET', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/vouchers', {
      admin: true,
    });
    expect(unknown.statusCode).toBe(404);
    expect((await h.call('GET', `/admin/v1/accounts/${c.id}/vouchers`, { key: c.key })).statusCode).toBe(403);
    expect((await h.call('GET', '/v1/vouchers')).statusCode).toBe(401);
  });
});
