/**
 * Operator debits (POST /admin/v1/accounts/{id}/balance-adjustments with a negative amount, and
 * `orderdesk credit ACCOUNT_ID -AMOUNT`) never take a balance below zero: only postpaid charges
 * may (SPEC §2). A debit larger than the balance is 409 insufficient_balance and writes nothing,
 * checked by the statement that debits, so racing debits cannot overspend.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDirect } from '../src/cli/direct.ts';
import { postpaidArrears } from './support/customers.ts';
import { type Harness, harness } from './support/harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h?.close();
});

function adjust(accountId: string, amount_usd: number | string, reason = 'ops') {
  return h.call('POST', `/admin/v1/accounts/${accountId}/balance-adjustments`, {
    admin: true,
    body: { amount_usd, reason },
  });
}

async function balance(key: string): Promise<number> {
  return (await h.call('GET', '/v1/account', { key })).json().balance_usd;
}

async function ledger(key: string): Promise<{ cause: string; amount_usd: number }[]> {
  return (await h.call('GET', '/v1/billing/transactions?limit=100', { key })).json().data;
}

describe('an operator debit the balance does not cover', () => {
  it('is 409 insufficient_balance on amount_usd, and writes nothing', async () => {
    const c = await h.customer({ balanceUsd: 50 });
    const res = await adjust(c.id, '-50.01', 'chargeback');
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: 'insufficient_balance', param: 'amount_usd' });
    expect(res.json().error.message).toContain('50.00 USD');
    expect(res.json().error.message).toContain('50.01 USD');
    expect(await balance(c.key)).toBe(50);
    expect((await ledger(c.key)).map((e) => e.amount_usd)).toEqual([50]);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('a debit of the whole balance is allowed and leaves 0.00; the next cent is refused', async () => {
    const c = await h.customer({ balanceUsd: 50 });
    const res = await adjust(c.id, -50);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ amount_usd: -50, balance_after_usd: 0, cause: 'adjustment' });
    expect((await adjust(c.id, '-0.01')).json().error.code).toBe('insufficient_balance');
    expect(await balance(c.key)).toBe(0);
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('arrears from a postpaid charge: any debit is refused, a credit still goes through', async () => {
    const c = await h.customer();
    await postpaidArrears(h, c.id, 3000);
    expect(await balance(c.key)).toBe(-30);
    const debit = await adjust(c.id, -1);
    expect(debit.statusCode).toBe(409);
    expect(debit.json().error.code).toBe('insufficient_balance');
    expect(await balance(c.key)).toBe(-30);
    const credit = await adjust(c.id, 10);
    expect(credit.statusCode).toBe(200);
    expect(credit.json()).toMatchObject({ amount_usd: 10, balance_after_usd: -20 });
    expect(await h.ledgerMismatches()).toEqual([]);
  });

  it('race: two concurrent debits of 30.00 on 50.00: exactly one succeeds, balance 20.00, ledger = balance', async () => {
    for (let round = 0; round < 3; round++) {
      const c = await h.customer({ balanceUsd: 50 });
      const results = await Promise.all([adjust(c.id, -30, 'race a'), adjust(c.id, -30, 'race b')]);
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      const refused = results.find((r) => r.statusCode === 409)!;
      expect(refused.json().error).toMatchObject({ code: 'insufficient_balance', param: 'amount_usd' });
      expect(results.find((r) => r.statusCode === 200)!.json()).toMatchObject({ balance_after_usd: 20 });
      expect(await balance(c.key)).toBe(20);
      expect((await ledger(c.key)).map((e) => e.amount_usd)).toEqual([-30, 50]);
      expect(await h.ledgerMismatches()).toEqual([]);
    }
  });

  it('the CLI (orderdesk credit ACCOUNT_ID -AMOUNT) refuses it the same way', async () => {
    const c = await h.customer({ balanceUsd: 50 });
    const ctx = { deps: h.deps, operator: 'cli:test', applied: [], close: async () => {} };
    const runCredit = (amount: string) =>
      runDirect('credit', { positionals: [c.id, amount], flags: new Map([['reason', 'fee']]) }, ctx);
    const refused = await runCredit('-60.00');
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'insufficient_balance', param: 'amount_usd' },
    });
    expect(await balance(c.key)).toBe(50);
    const done = await runCredit('-20.00');
    expect(done.ok && done.text).toMatch(/^txn_[0-9A-Z]{26} {2}-20\.00 USD {2}balance 30\.00 USD$/);
    expect(await balance(c.key)).toBe(30);
    expect(await h.ledgerMismatches()).toEqual([]);
  });
});
