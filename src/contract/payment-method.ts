/** A payment method (SPEC §5): a card, shown by brand, last 4 and expiry only. */
import { z } from 'zod';
import type { PaymentMethod } from '../db/payments.ts';
import { iso, timestamp } from './fields.ts';

export const paymentMethodSchema = z
  .object({
    id: z.string(),
    object: z.literal('payment_method'),
    type: z.literal('card'),
    brand: z.string(),
    last4: z.string(),
    exp_month: z.number().int(),
    exp_year: z.number().int(),
    default: z.boolean().describe('orders and top-ups charge the default method'),
    created_at: timestamp,
  })
  .meta({ id: 'PaymentMethod' });

export const detachedPaymentMethodSchema = paymentMethodSchema.extend({ deleted: z.literal(true) });

export function presentPaymentMethod(p: {
  method: PaymentMethod;
  isDefault: boolean;
}): z.infer<typeof paymentMethodSchema> {
  return {
    id: p.method.id,
    object: 'payment_method',
    type: 'card',
    brand: p.method.brand,
    last4: p.method.last4,
    exp_month: p.method.expMonth,
    exp_year: p.method.expYear,
    default: p.isDefault,
    created_at: iso(p.method.createdAt),
  };
}

export function presentDetachedPaymentMethod(p: {
  method: PaymentMethod;
  isDefault: boolean;
}): z.infer<typeof detachedPaymentMethodSchema> {
  return { ...presentPaymentMethod(p), deleted: true };
}
