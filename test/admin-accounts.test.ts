import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/app/access/secrets.ts';
import { type Harness, harness } from './support/harness.ts';
import { uniqueName } from './support/unique.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const email = (tag = 'op') => `${uniqueName(tag)}@example.com`;

function createAccount(body: unknown) {
  return h.call('POST', '/admin/v1/accounts', { admin: true, body });
}

describe('operators create and look up accounts (SPEC §11)', () => {
  it('creates an account: typed id, zero balance, KYC not submitted', async () => {
    const e = email();
    const res = await createAccount({ email: e, name: 'Acme Data' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"balance_usd":0.00');
    const a = res.json();
    expect(a.id).toMatch(/^acc_[0-9A-Z]{26}$/);
    expect(a).toMatchObject({
      object: 'account',
      email: e,
      name: 'Acme Data',
      balance_usd: 0,
      arrears_usd: 0,
      kyc_status: 'not_submitted',
      status: 'active',
      created_at: '2026-05-28T10:00:00.000Z',
    });
    const got = await h.call('GET', `/admin/v1/accounts/${a.id}`, { admin: true });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(a);
  });

  it('an email is taken case-insensitively: 409 email_taken', async () => {
    const e = email('Dup');
    expect((await createAccount({ email: e, name: 'One' })).statusCode).toBe(200);
    const again = await createAccount({ email: e.toUpperCase(), name: 'Two' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'email_taken', param: 'email' });
  });

  it.each([
    ['an invalid email', { email: 'not-an-email', name: 'X' }],
    ['a short password', { email: 'short-pw@example.com', name: 'X', password: 'abc' }],
    ['no name', { email: 'no-name@example.com' }],
    ['a blank name', { email: 'blank-name@example.com', name: '   ' }],
    ['an unknown field', { email: 'field@example.com', name: 'X', balance_usd: 100 }],
  ])('%s is 400 invalid_request', async (_what, body) => {
    const res = await createAccount(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
  });

  it('an unknown account is 404 not_found', async () => {
    const res = await h.call('GET', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ', { admin: true });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
  });

  it('lists accounts newest first with cursor pagination, and filters by email and KYC status', async () => {
    const ids: string[] = [];
    const emails: string[] = [];
    for (let i = 0; i < 3; i++) {
      await h.clock.advance(1);
      emails.push(email('list'));
      ids.push((await createAccount({ email: emails[i], name: `L${i}` })).json().id);
    }
    const first = await h.call('GET', '/admin/v1/accounts?limit=2', { admin: true });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ object: 'list', has_more: true });
    expect(first.json().data.map((a: { id: string }) => a.id)).toEqual([ids[2], ids[1]]);
    const next = await h.call('GET', `/admin/v1/accounts?limit=1&starting_after=${ids[1]}`, { admin: true });
    expect(next.json().data.map((a: { id: string }) => a.id)).toEqual([ids[0]]);

    const byEmail = await h.call(
      'GET',
      `/admin/v1/accounts?email=${encodeURIComponent(emails[1]!.toUpperCase())}`,
      { admin: true },
    );
    expect(byEmail.json()).toMatchObject({ has_more: false, data: [{ id: ids[1], email: emails[1] }] });
    expect(
      (await h.call('GET', '/admin/v1/accounts?email=nobody@example.com', { admin: true })).json().data,
    ).toEqual([]);

    await h.call('POST', `/admin/v1/accounts/${ids[0]}/kyc`, { admin: true, body: { decision: 'approved' } });
    const approved = (
      await h.call('GET', '/admin/v1/accounts?kyc_status=approved&limit=100', { admin: true })
    ).json();
    expect(approved.data.map((a: { id: string }) => a.id)).toContain(ids[0]);
    expect(approved.data.every((a: { kyc_status: string }) => a.kyc_status === 'approved')).toBe(true);
    expect((await h.call('GET', '/admin/v1/accounts?kyc_status=maybe', { admin: true })).statusCode).toBe(
      400,
    );
  });
});

describe('operators create API keys (SPEC §1, §11)', () => {
  it('a key is shown once, stored only as its sha256, and opens that account only', async () => {
    const a = (await createAccount({ email: email(), name: 'Keyed' })).json();
    const b = (await createAccount({ email: email(), name: 'Other' })).json();
    const res = await h.call('POST', `/admin/v1/accounts/${a.id}/api-keys`, {
      admin: true,
      body: { name: 'ci' },
    });
    expect(res.statusCode).toBe(200);
    const k = res.json();
    expect(k).toMatchObject({ object: 'api_key', name: 'ci' });
    expect(k.id).toMatch(/^key_[0-9A-Z]{26}$/);
    expect(k.key).toMatch(/^od_live_[A-Za-z0-9]{32}$/);
    const stored = await h.db.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [
      k.id,
    ]);
    expect(stored).toEqual([{ key_hash: sha256Hex(k.key) }]);
    const me = await h.call('GET', '/v1/account', { key: k.key });
    expect(me.json()).toMatchObject({ id: a.id, name: 'Keyed' });
    expect(me.json().id).not.toBe(b.id);
  });

  it('a key for an unknown account is 404; a customer key cannot make keys (403)', async () => {
    const unknown = await h.call('POST', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/api-keys', {
      admin: true,
      body: {},
    });
    expect(unknown.statusCode).toBe(404);
    const c = await h.customer();
    const self = await h.call('POST', `/admin/v1/accounts/${c.id}/api-keys`, { key: c.key, body: {} });
    expect(self.statusCode).toBe(403);
    expect(self.json().error.code).toBe('forbidden');
  });
});

describe('operators list and revoke API keys', () => {
  it('a revoked key is 401 on its next request; the list shows the prefix and the revocation, never the key', async () => {
    const c = await h.customer();
    const made = (
      await h.call('POST', `/admin/v1/accounts/${c.id}/api-keys`, { admin: true, body: { name: 'leaked' } })
    ).json();
    expect((await h.call('GET', '/v1/account', { key: made.key })).statusCode).toBe(200);

    const revoked = await h.call('DELETE', `/admin/v1/accounts/${c.id}/api-keys/${made.id}`, { admin: true });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const now = (await h.clock.now()).toISOString();
    expect(revoked.json()).toMatchObject({ id: made.id, object: 'api_key', name: 'leaked', revoked_at: now });
    const after = await h.call('GET', '/v1/account', { key: made.key });
    expect(after.statusCode).toBe(401);
    // the account's other key still works
    expect((await h.call('GET', '/v1/account', { key: c.key })).statusCode).toBe(200);

    const list = await h.call('GET', `/admin/v1/accounts/${c.id}/api-keys`, { admin: true });
    expect(list.statusCode).toBe(200);
    const row = list.json().data.find((k: { id: string }) => k.id === made.id);
    expect(row).toMatchObject({ key_prefix: made.key.slice(0, row.key_prefix.length), revoked_at: now });
    expect(JSON.stringify(list.json())).not.toContain(made.key);
    expect(list.json().data.filter((k: { revoked_at: string | null }) => k.revoked_at === null)).toHaveLength(
      1,
    );

    const again = await h.call('DELETE', `/admin/v1/accounts/${c.id}/api-keys/${made.id}`, { admin: true });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');
  });

  it("another account's key is 404 and stays live; a customer key cannot revoke (403)", async () => {
    const a = await h.customer();
    const b = await h.customer();
    const bKey = (
      await h.call('POST', `/admin/v1/accounts/${b.id}/api-keys`, { admin: true, body: {} })
    ).json();
    const wrong = await h.call('DELETE', `/admin/v1/accounts/${a.id}/api-keys/${bKey.id}`, { admin: true });
    expect(wrong.statusCode).toBe(404);
    expect((await h.call('GET', '/v1/account', { key: bKey.key })).statusCode).toBe(200);
    const self = await h.call('DELETE', `/admin/v1/accounts/${b.id}/api-keys/${bKey.id}`, { key: b.key });
    expect(self.statusCode).toBe(403);
    expect(
      (await h.call('GET', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/api-keys', { admin: true }))
        .statusCode,
    ).toBe(404);
  });
});

describe('operators adjust balances, as ledger entries with a reason (SPEC §5, §11)', () => {
  it('a credit then a debit: each a ledger entry, the balance their sum', async () => {
    const c = await h.customer();
    const credit = await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: 100, reason: 'goodwill credit' },
    });
    expect(credit.statusCode).toBe(200);
    expect(credit.body).toContain('"amount_usd":100.00');
    expect(credit.json()).toMatchObject({
      object: 'transaction',
      amount_usd: 100,
      balance_after_usd: 100,
      cause: 'adjustment',
    });
    expect(credit.json().memo).toContain('goodwill credit');
    expect(credit.json().id).toMatch(/^txn_[0-9A-Z]{26}$/);
    const debit = await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, {
      admin: true,
      body: { amount_usd: '-30.25', reason: 'chargeback' },
    });
    expect(debit.statusCode).toBe(200);
    expect(debit.json()).toMatchObject({ amount_usd: -30.25, balance_after_usd: 69.75 });
    expect((await h.call('GET', `/admin/v1/accounts/${c.id}`, { admin: true })).json().balance_usd).toBe(
      69.75,
    );
    const txns = (await h.call('GET', '/v1/billing/transactions', { key: c.key })).json();
    expect(txns.data.map((t: { amount_usd: number }) => t.amount_usd)).toEqual([-30.25, 100]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it.each([
    ['a zero amount', { amount_usd: 0, reason: 'x' }],
    ['three decimals', { amount_usd: 1.005, reason: 'x' }],
    ['no reason', { amount_usd: 10 }],
    ['an empty reason', { amount_usd: 10, reason: '' }],
    ['an amount that is not a number', { amount_usd: 'ten', reason: 'x' }],
  ])('%s is 400 invalid_request and moves nothing', async (_what, body) => {
    const c = await h.customer();
    const res = await h.call('POST', `/admin/v1/accounts/${c.id}/balance-adjustments`, { admin: true, body });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    expect((await h.call('GET', '/v1/billing/transactions', { key: c.key })).json().data).toEqual([]);
  });

  it('an unknown account is 404 not_found', async () => {
    const res = await h.call(
      'POST',
      '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/balance-adjustments',
      {
        admin: true,
        body: { amount_usd: 10, reason: 'x' },
      },
    );
    expect(res.statusCode).toBe(404);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it("a customer key cannot credit itself (403) nor another account; the balances don't move", async () => {
    const a = await h.customer();
    const b = await h.customer();
    for (const target of [a.id, b.id]) {
      const res = await h.call('POST', `/admin/v1/accounts/${target}/balance-adjustments`, {
        key: a.key,
        body: { amount_usd: 1000, reason: 'free money' },
      });
      expect(res.statusCode).toBe(403);
    }
    expect((await h.call('GET', '/v1/account', { key: a.key })).json().balance_usd).toBe(0);
    expect((await h.call('GET', '/v1/account', { key: b.key })).json().balance_usd).toBe(0);
  });
});

describe('the admin API needs an admin token (SPEC §1)', () => {
  it.each([
    ['GET', '/admin/v1/accounts'],
    ['POST', '/admin/v1/accounts'],
    ['GET', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ'],
    ['POST', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/api-keys'],
    ['POST', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/balance-adjustments'],
  ] as const)('%s %s: no token or a wrong one is 401, a customer key 403', async (method, path) => {
    const body = method === 'POST' ? {} : undefined;
    const none = await h.call(method, path, { body });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('unauthenticated');
    const wrong = await h.call(method, path, {
      body,
      headers: { authorization: 'Bearer not-a-real-token-123' },
    });
    expect(wrong.statusCode).toBe(401);
    const c = await h.customer();
    const asCustomer = await h.call(method, path, { key: c.key, body });
    expect(asCustomer.statusCode).toBe(403);
    expect(asCustomer.json().error.code).toBe('forbidden');
  });
});
