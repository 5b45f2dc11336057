/** A top-up of the balance from the default card (SPEC §5). */
import { z } from 'zod';
import type { TopUpRecord } from '../db/payments.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const topUpSchema = z
  .object({
    id: z.string(),
    object: z.literal('top_up'),
    amount_usd: money,
    status: z.enum(['processing', 'succeeded', 'failed', 'voided']),
    balance_usd: money.nullable().describe('the balance right after the credit; null until credited'),
    payment_method: z.string(),
    failure_code: z.string().nullable().optional().describe('failed or voided top-ups'),
    created_at: timestamp,
  })
  .meta({ id: 'TopUp' });

export function presentTopUp(t: TopUpRecord): z.infer<typeof topUpSchema> {
  const p = t.payment;
  return {
    id: p.id,
    object: 'top_up',
    amount_usd: usd(p.amountCents),
    status: p.status,
    balance_usd: t.balanceAfter === null ? null : usd(t.balanceAfter),
    payment_method: p.paymentMethodId,
    ...(p.status === 'failed' || p.status === 'voided' ? { failure_code: p.failureCode } : {}),
    created_at: iso(p.createdAt),
  };
}
