/** A voucher (SPEC §5): an amount an operator gave an account, spent first when an order names it. */
import { z } from 'zod';
import type { Voucher, VoucherStatus } from '../db/vouchers.ts';
import { PRODUCTS } from '../domain/products.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const voucherSchema = z
  .object({
    id: z.string(),
    object: z.literal('voucher'),
    amount_usd: money,
    remaining_usd: money,
    products: z.array(z.enum(PRODUCTS)).nullable().describe('products it may pay for; null: any product'),
    status: z.enum(['active', 'expired', 'used_up']).describe('at the time of the request'),
    expires_at: timestamp,
    created_at: timestamp,
  })
  .meta({ id: 'Voucher' });

export function presentVoucher(v: Voucher & { status: VoucherStatus }): z.infer<typeof voucherSchema> {
  return {
    id: v.id,
    object: 'voucher',
    amount_usd: usd(v.amountCents),
    remaining_usd: usd(v.remainingCents),
    // issue-voucher.ts keeps only the catalog's products
    products: v.products as z.infer<typeof voucherSchema>['products'],
    status: v.status,
    expires_at: iso(v.expiresAt),
    created_at: iso(v.createdAt),
  };
}
