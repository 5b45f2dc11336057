import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

const details = { legal_name: 'Ada Lovelace Ltd', country: 'GB', document_reference: 'CH-0123456' };

function submit(key: string, body: unknown = details) {
  return h.call('POST', '/v1/kyc', { key, body });
}

function decide(id: string, body: unknown) {
  return h.call('POST', `/admin/v1/accounts/${id}/kyc`, { admin: true, body });
}

describe('KYC submission (SPEC §2)', () => {
  it('a new account has not submitted: not_submitted and no submission', async () => {
    const c = await h.customer();
    const res = await h.call('GET', '/v1/kyc', { key: c.key });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ object: 'kyc', status: 'not_submitted', submission: null });
  });

  it('submitting makes the account pending and stores the country in lower case', async () => {
    const c = await h.customer();
    const res = await submit(c.key);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      object: 'kyc',
      status: 'pending',
      submission: {
        legal_name: 'Ada Lovelace Ltd',
        country: 'gb',
        document_reference: 'CH-0123456',
        status: 'pending',
        reason: null,
        submitted_at: '2026-05-28T10:00:00.000Z',
        decided_at: null,
      },
    });
    expect(body.submission.id).toMatch(/^kyc_[0-9A-Z]{26}$/);
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json()).toEqual(body);
    expect((await h.call('GET', '/v1/account', { key: c.key })).json().kyc_status).toBe('pending');
  });

  it('resubmitting while a submission is pending is 409 invalid_state and changes nothing', async () => {
    const c = await h.customer();
    const first = (await submit(c.key)).json();
    const again = await submit(c.key, { ...details, legal_name: 'Someone Else' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('invalid_state');
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json()).toEqual(first);
  });

  it.each([
    ['a three-letter code', 'usa'],
    ['an unassigned code', 'xx'],
    ['a code with a digit', 'u1'],
    ['an empty country', ''],
    ['the UK (the code is gb)', 'uk'],
  ])('%s is 400 invalid_request on country', async (_what, country) => {
    const c = await h.customer();
    const res = await submit(c.key, { ...details, country });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', param: 'country' });
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json().status).toBe('not_submitted');
  });

  it.each([
    ['a blank legal name', { ...details, legal_name: '   ' }, 'legal_name'],
    ['a missing document reference', { legal_name: 'A', country: 'us' }, 'document_reference'],
    ['an unknown field', { ...details, passport_scan: 'x' }, undefined],
  ])('%s is 400 invalid_request', async (_what, body, param) => {
    const c = await h.customer();
    const res = await submit(c.key, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
    if (param) expect(res.json().error.param).toBe(param);
  });

  it('needs a customer key: none is 401, an admin token is 401 (it never acts as a customer)', async () => {
    expect((await h.call('POST', '/v1/kyc', { body: details })).statusCode).toBe(401);
    const asAdmin = await h.call('GET', '/v1/kyc', { admin: true });
    expect(asAdmin.statusCode).toBe(401);
    expect(asAdmin.json().error.code).toBe('unauthenticated');
  });
});

describe('KYC decisions by an operator (SPEC §2, §11)', () => {
  it('rejecting records the reason; the customer may then resubmit, and approval is final', async () => {
    const c = await h.customer();
    const first = (await submit(c.key, { ...details, country: 'us' })).json().submission;
    await h.clock.advance(3600);
    const rejected = await decide(c.id, { decision: 'rejected', reason: 'document unreadable' });
    expect(rejected.statusCode).toBe(200);
    expect(rejected.json()).toMatchObject({ id: c.id, object: 'account', kyc_status: 'rejected' });
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json()).toMatchObject({
      status: 'rejected',
      submission: {
        id: first.id,
        status: 'rejected',
        reason: 'document unreadable',
        decided_at: '2026-05-28T11:00:00.000Z',
      },
    });

    const second = await submit(c.key, { ...details, document_reference: 'CH-999' });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      status: 'pending',
      submission: { document_reference: 'CH-999', status: 'pending', reason: null },
    });
    expect(second.json().submission.id).not.toBe(first.id);

    const approved = await decide(c.id, { decision: 'approved' });
    expect(approved.statusCode).toBe(200);
    expect(approved.json().kyc_status).toBe('approved');
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json()).toMatchObject({
      status: 'approved',
      submission: { document_reference: 'CH-999', status: 'approved' },
    });
    expect((await h.call('GET', `/admin/v1/accounts/${c.id}/kyc`, { admin: true })).json()).toMatchObject({
      status: 'approved',
      submission: { document_reference: 'CH-999' },
    });

    const after = await submit(c.key);
    expect(after.statusCode).toBe(409);
    expect(after.json().error.code).toBe('invalid_state');
  });

  it('mobile orders need approved KYC: 409 kyc_required while pending, paid once approved', async () => {
    const c = await h.customer({ balanceUsd: 100 });
    await submit(c.key);
    const pending = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'mobile', gb: 1 } });
    expect(pending.statusCode).toBe(409);
    expect(pending.json().error.code).toBe('kyc_required');
    await decide(c.id, { decision: 'approved' });
    const paid = await h.call('POST', '/v1/orders', { key: c.key, body: { product: 'mobile', gb: 1 } });
    expect(paid.statusCode).toBe(200);
    expect(paid.json()).toMatchObject({ total_usd: 6, payment_status: 'paid' });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('an operator may approve an account that never submitted (verified another way)', async () => {
    const c = await h.customer();
    const res = await decide(c.id, { decision: 'approved', reason: 'verified by sales' });
    expect(res.statusCode).toBe(200);
    expect(res.json().kyc_status).toBe('approved');
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json()).toEqual({
      object: 'kyc',
      status: 'approved',
      submission: null,
    });
  });

  it('deciding what the account already is, is 409 invalid_state', async () => {
    const c = await h.customer({ kyc: true });
    const res = await decide(c.id, { decision: 'approved' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('invalid_state');
  });

  it('an operator may revoke an approval; the customer can then submit again', async () => {
    const c = await h.customer({ kyc: true });
    const res = await decide(c.id, { decision: 'rejected', reason: 'chargeback fraud' });
    expect(res.statusCode).toBe(200);
    expect(res.json().kyc_status).toBe('rejected');
    expect((await submit(c.key)).json().status).toBe('pending');
  });

  it.each([
    ['an unknown decision', { decision: 'maybe' }],
    ['no decision', { reason: 'x' }],
    ['a reason over 500 characters', { decision: 'rejected', reason: 'x'.repeat(501) }],
  ])('%s is 400 invalid_request', async (_what, body) => {
    const c = await h.customer();
    const res = await decide(c.id, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_request');
  });

  it('an unknown account is 404 not_found', async () => {
    const res = await decide('acc_01HZZZZZZZZZZZZZZZZZZZZZZZ', { decision: 'approved' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('not_found');
    const get = await h.call('GET', '/admin/v1/accounts/acc_01HZZZZZZZZZZZZZZZZZZZZZZZ/kyc', { admin: true });
    expect(get.statusCode).toBe(404);
  });

  it('a customer key on the decision route is 403 forbidden; no token is 401', async () => {
    const c = await h.customer();
    await submit(c.key);
    const self = await h.call('POST', `/admin/v1/accounts/${c.id}/kyc`, {
      key: c.key,
      body: { decision: 'approved' },
    });
    expect(self.statusCode).toBe(403);
    expect(self.json().error.code).toBe('forbidden');
    const anon = await h.call('POST', `/admin/v1/accounts/${c.id}/kyc`, { body: { decision: 'approved' } });
    expect(anon.statusCode).toBe(401);
    expect((await h.call('GET', '/v1/kyc', { key: c.key })).json().status).toBe('pending');
  });

  it("one account's submission and decision leave another account untouched", async () => {
    const a = await h.customer();
    const b = await h.customer();
    await submit(a.key);
    await decide(a.id, { decision: 'approved' });
    expect((await h.call('GET', '/v1/kyc', { key: b.key })).json()).toEqual({
      object: 'kyc',
      status: 'not_submitted',
      submission: null,
    });
    const bSubmits = await submit(b.key, { ...details, legal_name: 'Bob' });
    expect(bSubmits.json().submission.legal_name).toBe('Bob');
    expect((await h.call('GET', '/v1/kyc', { key: a.key })).json().submission.legal_name).toBe(
      'Ada Lovelace Ltd',
    );
  });

  it('two racing submissions: one is pending, the other 409 invalid_state', async () => {
    const c = await h.customer();
    const [x, y] = await Promise.all([submit(c.key), submit(c.key)]);
    expect([x.statusCode, y.statusCode].sort()).toEqual([200, 409]);
  });
});
