/**
 * A webhook event as delivered (SPEC §1 "Webhooks"): `{id, object: "event", type, account_id,
 * created_at, data: {object}}`. db/webhooks.ts writes the envelope around the stored `data.object`,
 * which the emitting use-case rendered with the presenters of this folder (app/webhooks/emit-event.ts).
 */
import { z } from 'zod';
import { timestamp } from './fields.ts';
import { batchEventSchema } from './isp-batch.ts';
import { orderSchema } from './order.ts';
import { paymentSchema } from './payment.ts';
import { stockAlertSchema } from './stock-alert.ts';

export const eventSchema = z
  .object({
    id: z.string().describe('evt_…; a replayed delivery carries the same id'),
    object: z.literal('event'),
    type: z
      .string()
      .describe(
        'order.paid, order.completed, order.cancelled, order.refunded (data.object: an order); isp_batch.ready, isp_batch.expiring, isp_batch.expired (an isp_batch, without its password); inventory.available (a stock_alert); payment.failed (a payment)',
      ),
    account_id: z.string().nullable(),
    created_at: timestamp,
    data: z.object({
      object: z.discriminatedUnion('object', [
        orderSchema,
        batchEventSchema,
        stockAlertSchema,
        paymentSchema,
      ]),
    }),
  })
  .meta({ id: 'Event' });
