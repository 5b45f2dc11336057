/** An account (SPEC §2, §11): operators see it under /admin/v1, the customer adds its pools at GET /v1/account. */
import { z } from 'zod';
import type { Account } from '../db/accounts.ts';
import type { Pool } from '../db/usage.ts';
import { iso, isoOrNull, money, timestamp } from './fields.ts';
import { usd } from './json.ts';
import { poolsSchema, presentPools } from './subuser.ts';

export const accountSchema = z
  .object({
    id: z.string(),
    object: z.literal('account'),
    email: z.string(),
    name: z.string(),
    balance_usd: money.describe('negative only through postpaid charges'),
    arrears_usd: money.describe('the negative part of the balance, as a positive amount'),
    kyc_status: z.enum(['not_submitted', 'pending', 'approved', 'rejected']),
    status: z
      .enum(['active', 'suspended'])
      .describe(
        'suspended: the account reads, tops up and pays its arrears, but cannot order (403 account_suspended)',
      ),
    suspended_reason: z.string().nullable().describe("the operator's reason; null while active"),
    suspended_at: timestamp.nullable().describe('when the account was suspended; null while active'),
    default_payment_method: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Account' });

export const customerAccountSchema = accountSchema
  .extend({ pools: poolsSchema.describe('traffic pools by product') })
  .meta({ id: 'CustomerAccount' });

export function presentAccount(a: Account): z.infer<typeof accountSchema> {
  return {
    id: a.id,
    object: 'account',
    email: a.email,
    name: a.name,
    balance_usd: usd(a.balanceCents),
    arrears_usd: usd(a.balanceCents < 0 ? -a.balanceCents : 0),
    kyc_status: a.kycStatus,
    status: a.status,
    suspended_reason: a.suspendedReason,
    suspended_at: isoOrNull(a.suspendedAt),
    default_payment_method: a.defaultPaymentMethodId,
    created_at: iso(a.createdAt),
  };
}

export function presentCustomerAccount(
  a: Account,
  pools: readonly Pool[],
): z.infer<typeof customerAccountSchema> {
  return { ...presentAccount(a), pools: presentPools(pools) };
}
