/** A card payment: the `payment.failed` event's object. */
import { z } from 'zod';
import type { Payment } from '../db/payments.ts';
import { iso, money, timestamp } from './fields.ts';
import { usd } from './json.ts';

export const paymentSchema = z
  .object({
    id: z.string(),
    object: z.literal('payment'),
    purpose: z.enum(['order', 'top_up']),
    order_id: z
      .string()
      .nullable()
      .describe(
        'the order the payment is for: the id it has, or would have had (a pay-now order whose card is declined is not created)',
      ),
    payment_method: z.string(),
    amount_usd: money.describe('charged to the card'),
    status: z.enum(['processing', 'succeeded', 'failed', 'voided']),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Payment' });

export function presentPayment(p: Payment): z.infer<typeof paymentSchema> {
  return {
    id: p.id,
    object: 'payment',
    purpose: p.purpose,
    order_id: p.orderId,
    payment_method: p.paymentMethodId,
    amount_usd: usd(p.amountCents),
    status: p.status,
    failure_code: p.failureCode,
    failure_message: p.failureMessage,
    created_at: iso(p.createdAt),
    updated_at: iso(p.updatedAt),
  };
}
