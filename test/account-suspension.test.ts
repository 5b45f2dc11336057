/**
 * Account suspension by operators (SPEC §11, issue 12 item 3) through HTTP on a real database:
 * POST /admin/v1/accounts/{id}/suspend {reason} and …/resume {}; a suspended account reads, tops
 * up and pays arrears but every order path is 403 account_suspended (new orders of every product,
 * paying a pending order, renewals), its subusers are refused by gateway authorize, and the
 * customer gets one mail each way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder } from '../src/app/orders/place-order.ts';
import { addCard, balanceOf, cardCharges, customerWithCard } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';
import { addStock, batchIps } from './support/isp-stock.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const suspend = (id: string, body: unknown = { reason: 'unpaid invoice INV-7' }) =>
  h.call('POST', `/admin/v1/accounts/${id}/suspend`, { admin: true, body });
const resume = (id: string, body: unknown = {}) =>
  h.call('POST', `/admin/v1/accounts/${id}/resume`, { admin: true, body });

function code(res: { json(): { error: { code: string } } }): string {
  return res.json().error.code;
}

async function mails(accountId: string): Promise<{ kind: string; subject: string; body_text: string }[]> {
  return h.db.query(
    `SELECT kind, subject, body_text FROM mail_outbox
     WHERE account_id = $1 AND kind IN ('account_suspended', 'account_resumed') ORDER BY created_at, id`,
    [accountId],
  );
}

async function advance(seconds: number): Promise<void> {
  const res = await h.call('POST', '/admin/v1/clock/advance', { admin: true, body: { seconds } });
  expect(res.statusCode, res.body).toBe(200);
}

describe('POST /admin/v1/accounts/{id}/suspend and …/resume', () => {
  it('suspends with the reason and time on the account, resumes clearing them; one mail each way', async () => {
    const c = await h.customer();
    const now = (await h.deps.clock.now()).toISOString();
    const res = await suspend(c.id);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: c.id,
      object: 'account',
      status: 'suspended',
      suspended_reason: 'unpaid invoice INV-7',
      suspended_at: now,
    });
    // the customer sees the state and why
    expect((await h.call('GET', '/v1/account', { key: c.key })).json()).toMatchObject({
      status: 'suspended',
      suspended_reason: 'unpaid invoice INV-7',
      suspended_at: now,
    });
    expect((await h.call('GET', `/admin/v1/accounts/${c.id}`, { admin: true })).json().status).toBe(
      'suspended',
    );

    // again: 200, the first reason kept, no second mail
    const again = await suspend(c.id, { reason: 'another reason' });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ status: 'suspended', suspended_reason: 'unpaid invoice INV-7' });

    const back = await resume(c.id);
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json()).toMatchObject({ status: 'active', suspended_reason: null, suspended_at: null });
    const twice = await h.call('POST', `/admin/v1/accounts/${c.id}/resume`, { admin: true });
    expect(twice.statusCode, twice.body).toBe(200);
    expect(twice.json().status).toBe('active');

    const sent = await mails(c.id);
    expect(sent.map((m) => m.kind)).toEqual(['account_suspended', 'account_resumed']);
    expect(sent[0]!.subject).toBe('Your orderdesk account has been suspended');
    expect(sent[0]!.body_text).toContain('Reason: unpaid invoice INV-7');
    expect(sent[0]!.body_text).toContain('top up your balance and pay what you owe');
    expect(sent[1]!.subject).toBe('Your orderdesk account has been resumed');

    // who, when and why, every change
    const log = await h.db.query<{ status: string; reason: string | null; operator: string }>(
      'SELECT status, reason, operator FROM account_status_changes WHERE account_id = $1 ORDER BY id',
      [c.id],
    );
    expect(log).toEqual([
      { status: 'suspended', reason: 'unpaid invoice INV-7', operator: 'bootstrap' },
      { status: 'active', reason: null, operator: 'bootstrap' },
    ]);
  });

  it('404 for an unknown account; 401 without an admin token; 403 with a customer key', async () => {
    const unknown = await suspend('acc_01HZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toMatchObject({ code: 'not_found', param: 'id' });
    expect((await resume('acc_01HZZZZZZZZZZZZZZZZZZZZZZZ')).statusCode).toBe(404);

    const c = await h.customer();
    const anonymous = await h.call('POST', `/admin/v1/accounts/${c.id}/suspend`, { body: { reason: 'x' } });
    expect(anonymous.statusCode).toBe(401);
    expect(code(anonymous)).toBe('unauthenticated');
    const customer = await h.call('POST', `/admin/v1/accounts/${c.id}/resume`, { key: c.key, body: {} });
    expect(customer.statusCode).toBe(403);
    expect(code(customer)).toBe('forbidden');
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().status).toBe('active');
  });

  it.each([
    ['no body', undefined],
    ['no reason', {}],
    ['an empty reason', { reason: '' }],
    ['a blank reason', { reason: '   ' }],
    ['a reason over 500 characters', { reason: 'x'.repeat(501) }],
    ['a reason that is not a string', { reason: 42 }],
    ['an unknown field', { reason: 'ok', until: '2027-01-01' }],
  ])('400 invalid_request for %s, nothing changed', async (_what, body) => {
    const c = await h.customer();
    const res = await h.call('POST', `/admin/v1/accounts/${c.id}/suspend`, {
      admin: true,
      ...(body !== undefined ? { body } : {}),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(code(res)).toBe('invalid_request');
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().status).toBe('active');
    expect(await mails(c.id)).toEqual([]);
  });

  it('a 500-character reason is accepted; resume refuses a body with fields', async () => {
    const c = await h.customer();
    expect((await suspend(c.id, { reason: 'y'.repeat(500) })).statusCode).toBe(200);
    const bad = await resume(c.id, { reason: 'no' });
    expect(bad.statusCode).toBe(400);
    expect(code(bad)).toBe('invalid_request');
  });

  it('race: two concurrent suspends change the account once and send one mail', async () => {
    const c = await h.customer();
    const [a, b] = await Promise.all([
      suspend(c.id, { reason: 'first' }),
      suspend(c.id, { reason: 'second' }),
    ]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const reasons = new Set([a.json().suspended_reason, b.json().suspended_reason]);
    expect(reasons.size).toBe(1);
    expect(await mails(c.id)).toHaveLength(1);
    const log = await h.db.query('SELECT 1 FROM account_status_changes WHERE account_id = $1', [c.id]);
    expect(log).toHaveLength(1);
  });
});

describe('a suspended account reads but cannot order (403 account_suspended)', () => {
  it('bandwidth: POST /v1/orders refused, nothing charged; the quote names the check; OK after resume', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    await suspend(c.id);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 10 } });
    expect(res.statusCode, res.body).toBe(403);
    expect(code(res)).toBe('account_suspended');
    const later = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'mobile', gb: 10, pay: 'later' },
    });
    expect(later.statusCode, later.body).toBe(403);
    expect(code(later)).toBe('account_suspended');
    const quote = await h.call('POST', '/v1/orders/quote', {
      key: c.key,
      body: { product: 'residential', gb: 10 },
    });
    expect(quote.statusCode, quote.body).toBe(200);
    expect(quote.json().checks.map((x: { code: string }) => x.code)).toContain('account_suspended');
    expect(await balanceOf(h, c.key)).toBe(100);
    expect((await h.call('GET', '/v1/orders', { key: c.key })).json().data).toEqual([]);

    await resume(c.id);
    const ok = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 10 } });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(await balanceOf(h, c.key)).toBe(55);
  });

  it('a card is never charged for a suspended account (refused before the charge)', async () => {
    const c = await customerWithCard(h);
    await suspend(c.id);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 10 } });
    expect(code(res)).toBe('account_suspended');
    expect(await cardCharges(h, c.id)).toEqual([]);
  });

  it('ISP: a new order refused, stock untouched; the batch renewal refused; both OK after resume', async () => {
    const c = await h.customer({ balanceUsd: 500, kyc: true });
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64900, count: 12 });
    const body = { product: 'isp', country: 'us', city: 'newyork', asn: 64900, quantity: 5, months: 1 };
    const first = await h.call('POST', '/v1/orders', { key: c.key, body });
    expect(first.statusCode, first.body).toBe(200);
    const batchId = first.json().details.batch_id as string;
    await advance(120);
    const balance = await balanceOf(h, c.key);

    await suspend(c.id);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body });
    expect(res.statusCode, res.body).toBe(403);
    expect(code(res)).toBe('account_suspended');
    const renew = await h.call('POST', `/v1/isp/batches/${batchId}/renew`, {
      key: c.key,
      body: { months: 1 },
    });
    expect(renew.statusCode, renew.body).toBe(403);
    expect(code(renew)).toBe('account_suspended');
    // reads work
    const batch = await h.call('GET', `/v1/isp/batches/${batchId}`, { key: c.key });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().status).toBe('ready');
    expect((await h.call('GET', '/v1/isp/batches', { key: c.key })).json().data).toHaveLength(1);
    expect(await balanceOf(h, c.key)).toBe(balance);

    await resume(c.id);
    const renewed = await h.call('POST', `/v1/isp/batches/${batchId}/renew`, {
      key: c.key,
      body: { months: 1 },
    });
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json()).toMatchObject({ type: 'renew', payment_status: 'paid' });
    const again = await h.call('POST', '/v1/orders', { key: c.key, body });
    expect(again.statusCode, again.body).toBe(200);
  });

  it('ISP replacements: free ones still work while suspended, the replacement fee is refused', async () => {
    const c = await h.customer({ balanceUsd: 130, kyc: true }); // 100.00 for the batch
    await addStock(h.db, { country: 'us', city: 'newyork', asn: 64901, count: 30 });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'isp', country: 'us', city: 'newyork', asn: 64901, quantity: 20, months: 1 },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    await advance(120);
    const batchId = placed.json().details.batch_id as string;
    const ips = (await batchIps(h.db, batchId)).map((r) => ({ id: r.ip_id }));
    await advance(15 * 24 * 3600);
    await suspend(c.id);
    const replace = (ip: string, body: Record<string, unknown>) =>
      h.call('POST', `/v1/isp/ips/${ip}/replace`, { key: c.key, body });
    for (const ip of ips.slice(0, 2)) {
      const free = await replace(ip.id, { reason: 'blocked' });
      expect(free.statusCode, free.body).toBe(200);
      expect(free.json().free).toBe(true);
    }
    const fee = await replace(ips[2]!.id, { reason: 'slow', accept_charge: true });
    expect(fee.statusCode, fee.body).toBe(403);
    expect(code(fee)).toBe('account_suspended');
    expect(await balanceOf(h, c.key)).toBe(30);
    await resume(c.id);
    const paid = await replace(ips[2]!.id, { reason: 'slow', accept_charge: true });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ free: false, charge_usd: 1 });
  });

  it('servers: a new server and a renewal refused; reads work; OK after resume', async () => {
    const c = await h.customer({ balanceUsd: 200, kyc: true });
    const buy = (payment_mode: string) =>
      h.call('POST', '/v1/orders', {
        key: c.key,
        body: {
          product: 'server',
          spec: 's1.small',
          payment_mode,
          ...(payment_mode === 'prepaid' ? { months: 1 } : {}),
        },
      });
    const first = await buy('prepaid');
    expect(first.statusCode, first.body).toBe(200);
    const serverId = first.json().details.server_id as string;

    await suspend(c.id);
    for (const mode of ['prepaid', 'postpaid']) {
      const res = await buy(mode);
      expect(res.statusCode, res.body).toBe(403);
      expect(code(res)).toBe('account_suspended');
    }
    const renew = await h.call('POST', `/v1/servers/${serverId}/renew`, { key: c.key, body: { months: 1 } });
    expect(renew.statusCode, renew.body).toBe(403);
    expect(code(renew)).toBe('account_suspended');
    const upgrade = await h.call('POST', `/v1/servers/${serverId}/change`, {
      key: c.key,
      body: { spec: 's1.medium' },
    });
    expect(upgrade.statusCode, upgrade.body).toBe(403);
    expect(code(upgrade)).toBe('account_suspended');
    const servers = await h.call('GET', '/v1/servers', { key: c.key });
    expect(servers.statusCode).toBe(200);
    expect(servers.json().data).toHaveLength(1);
    expect(await balanceOf(h, c.key)).toBe(180);

    await resume(c.id);
    const renewed = await h.call('POST', `/v1/servers/${serverId}/renew`, {
      key: c.key,
      body: { months: 1 },
    });
    expect(renewed.statusCode, renewed.body).toBe(200);
    expect(renewed.json()).toMatchObject({ type: 'renew', paid_usd: 20 });
    expect((await buy('prepaid')).statusCode).toBe(200);
  });

  it('reserved-instance coupons: buying refused; OK after resume', async () => {
    const c = await h.customer({ balanceUsd: 300, kyc: true });
    const body = { product: 'reserved_instance', spec: 's1.small', count: 1, years: 1 };
    await suspend(c.id);
    const res = await h.call('POST', '/v1/orders', { key: c.key, body });
    expect(res.statusCode, res.body).toBe(403);
    expect(code(res)).toBe('account_suspended');
    expect((await h.call('GET', '/v1/reserved-instances', { key: c.key })).json().data).toEqual([]);
    await resume(c.id);
    const ok = await h.call('POST', '/v1/orders', { key: c.key, body });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ product: 'reserved_instance', paid_usd: 200 });
  });

  it('paying a pending order refused (the order stays pending, nothing taken); paid after resume', async () => {
    const c = await h.customer({ balanceUsd: 300 });
    const placed = await h.call('POST', '/v1/orders', {
      key: c.key,
      body: { product: 'residential', gb: 50, pay: 'later' },
    });
    expect(placed.statusCode, placed.body).toBe(200);
    const id = placed.json().id as string;
    await suspend(c.id);
    const pay = await h.call('POST', `/v1/orders/${id}/pay`, { key: c.key, body: {} });
    expect(pay.statusCode, pay.body).toBe(403);
    expect(code(pay)).toBe('account_suspended');
    const got = await h.call('GET', `/v1/orders/${id}`, { key: c.key });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ status: 'pending_payment', payment_status: 'pending_payment' });
    expect(await balanceOf(h, c.key)).toBe(300);

    await resume(c.id);
    const paid = await h.call('POST', `/v1/orders/${id}/pay`, { key: c.key, body: {} });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ payment_status: 'paid', paid_usd: 225 });
    expect(await balanceOf(h, c.key)).toBe(75);
  });

  it('suspended after the card was charged: the payment is refused under the lock and the charge refunded', async () => {
    const c = await customerWithCard(h);
    const r = await placeOrder(h.deps, {
      accountId: c.id,
      input: { product: 'residential', gb: 10 },
      // an operator suspends the account between the card charge and the paying transaction
      afterCharge: async () => {
        expect((await suspend(c.id)).statusCode).toBe(200);
      },
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('account_suspended');
    expect(await cardCharges(h, c.id)).toEqual([
      { amount_cents: 4500, status: 'succeeded', refunded_cents: 4500 },
    ]);
    expect((await h.call('GET', '/v1/orders', { key: c.key })).json().data).toEqual([]);
    expect(await balanceOf(h, c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('reads, top-ups, payment methods and subusers still work while suspended', async () => {
    const c = await h.customer({ balanceUsd: 10 });
    await suspend(c.id);
    for (const path of [
      '/v1/account',
      '/v1/orders',
      '/v1/billing/transactions',
      '/v1/vouchers',
      '/v1/subusers',
    ]) {
      const res = await h.call('GET', path, { key: c.key });
      expect(res.statusCode, `${path}: ${res.body}`).toBe(200);
    }
    // paying what it owes stays possible: a card and a top-up
    await addCard(h, c.key);
    const top = await h.call('POST', '/v1/billing/top-ups', { key: c.key, body: { amount_usd: 40 } });
    expect(top.statusCode, top.body).toBe(200);
    expect(await balanceOf(h, c.key)).toBe(50);
    const sub = await h.call('POST', '/v1/subusers', { key: c.key, body: { name: 'team b' } });
    expect(sub.statusCode, sub.body).toBe(200);
  });
});

describe('gateway authorize refuses a suspended account’s subusers', () => {
  it('account_suspended while suspended, allowed again after resume', async () => {
    const c = await h.customer({ balanceUsd: 45 });
    expect(
      (await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'residential', gb: 10 } }))
        .statusCode,
    ).toBe(200);
    const subs = (await h.call('GET', '/v1/subusers', { key: c.key })).json().data as {
      username: string;
      is_main: boolean;
    }[];
    const main = subs.find((s) => s.is_main)!;
    const authorize = () =>
      h.call(
        'GET',
        `/admin/v1/gateway/authorize?username=${encodeURIComponent(main.username)}&product=residential`,
        {
          admin: true,
        },
      );
    expect((await authorize()).json()).toMatchObject({ allowed: true });
    await suspend(c.id);
    const refused = await authorize();
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toMatchObject({ allowed: false, reason: 'account_suspended', account_id: c.id });
    await resume(c.id);
    expect((await authorize()).json()).toMatchObject({ allowed: true });
  });
});
