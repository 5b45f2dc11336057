/** A cash balance ledger entry (SPEC §5 "Ledger"): GET /v1/billing/transactions, balance adjustments. */
import { z } from 'zod';
import type { LedgerEntry } from '../db/ledger.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const ledgerEntrySchema = z
  .object({
    id: z.string(),
    object: z.literal('transaction'),
    amount_usd: money.describe('signed: negative takes from the balance'),
    balance_after_usd: money,
    cause: z.enum([
      'order',
      'refund',
      'top_up',
      'card_payment',
      'usage',
      'usage_charge',
      'adjustment',
      'voucher_issued',
      'voucher_restored',
    ]),
    order_id: z.string().nullable(),
    payment_id: z.string().nullable(),
    memo: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'Transaction' });

export function presentLedgerEntry(e: LedgerEntry): z.infer<typeof ledgerEntrySchema> {
  return {
    id: e.id,
    object: 'transaction',
    amount_usd: usd(e.amount),
    balance_after_usd: usd(e.balanceAfter),
    cause: e.cause,
    order_id: e.orderId,
    payment_id: e.paymentId,
    memo: e.memo,
    created_at: iso(e.createdAt),
  };
}
