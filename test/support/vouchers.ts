/** Vouchers issued by an operator, for the tests that spend them. */
import { expect } from 'vitest';
import { type Harness, START } from './harness.ts';

/** 30 days after the harness clock's START: 2026-06-27T10:00:00.000Z. */
export const IN_30_DAYS = new Date(START.getTime() + 30 * 86_400_000).toISOString();

/** An operator's voucher for the account (expiring IN_30_DAYS unless `extra` says otherwise); its id. */
export async function issueVoucher(
  h: Harness,
  accountId: string,
  amountUsd: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await h.call('POST', `/admin/v1/accounts/${accountId}/vouchers`, {
    admin: true,
    body: { amount_usd: amountUsd, expires_at: IN_30_DAYS, ...extra },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().id as string;
}
