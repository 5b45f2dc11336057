/**
 * Customers with a card on file, and the reads of money that card-payment tests assert on: the
 * balance as the API reports it and the sandbox charges behind the account's payments.
 */
import { expect } from 'vitest';
import { moveCash } from '../../src/db/ledger.ts';
import type { Harness } from './harness.ts';

/** The sandbox card that always succeeds; other sandbox numbers decline or fail refunds. */
export const TEST_CARD = '4242424242424242';

/** Adds a sandbox card through POST /v1/payment-methods (an account's first card is its default). */
export async function addCard(h: Harness, key: string, number: string = TEST_CARD): Promise<void> {
  const pm = await h.call('POST', '/v1/payment-methods', {
    key,
    body: { card: { number, exp_month: 12, exp_year: 2030, cvc: '123' } },
  });
  expect(pm.statusCode).toBe(200);
}

/** A new customer (balance credited when balanceUsd > 0) with `card` as its default card. */
export async function customerWithCard(
  h: Harness,
  opts: { balanceUsd?: number; card?: string; kyc?: boolean } = {},
): Promise<{ id: string; key: string }> {
  const c = await h.customer({
    ...(opts.balanceUsd ? { balanceUsd: opts.balanceUsd } : {}),
    ...(opts.kyc ? { kyc: true } : {}),
  });
  await addCard(h, c.key, opts.card);
  return c;
}

/** The balance in USD as GET /v1/account reports it. */
export async function balanceOf(h: Harness, key: string): Promise<number> {
  return (await h.call('GET', '/v1/account', { key })).json().balance_usd;
}

export interface CardCharge {
  amount_cents: number;
  status: string;
  refunded_cents: number;
}

/** What the card network saw for this account: its sandbox charges, oldest first. */
export async function cardCharges(h: Harness, accountId: string): Promise<CardCharge[]> {
  return h.db.query<CardCharge>(
    `SELECT c.amount_cents, c.status, c.refunded_cents FROM sandbox_charges c
     JOIN payments p ON p.id = c.idempotency_key WHERE p.account_id = $1 ORDER BY c.created_at, c.id`,
    [accountId],
  );
}

/**
 * Arrears the way SPEC §2 allows them: a postpaid usage charge the balance did not cover (an
 * operator debit must be covered by the balance).
 */
export async function postpaidArrears(h: Harness, accountId: string, cents: number): Promise<void> {
  await moveCash(h.db, {
    id: h.deps.ids.next('txn'),
    accountId,
    amount: -cents,
    cause: 'usage_charge',
    memo: 'postpaid usage',
    at: await h.clock.now(),
  });
}
