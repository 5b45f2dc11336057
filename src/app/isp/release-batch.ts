/**
 * DELETE /v1/isp/batches/{id} (SPEC §5, §6): the customer releases a batch at any time. Its IPs go
 * back to stock, the batch becomes `released`, and an `unsubscribe` order records it with zero
 * amounts (no refund for the rest of the period): one line item whose previous_config is the
 * batch's configuration, paid and completed at once. Orders waiting for stock are then served
 * (a queued run) and stock alerts evaluated, in the same transaction.
 *
 * Allowed for ready, expired (in its grace period) and provisioning batches; a provisioning
 * batch's order is completed, with its `order.completed` event (the provisioning job then finds
 * the batch released and skips). The zero-amount unsubscribe order raises no event.
 * A waiting batch is not released here (cancel its order for a full refund) and a released one
 * cannot be released again: both `409 invalid_state`. Lock order: the country's stock lock, the
 * batch's order, then the batch (the provisioning job takes the order before the batch too).
 */

import type { BatchView } from '../../contract/isp-batch.ts';
import type { Batch } from '../../db/isp-batch-queries.ts';
import { getBatch } from '../../db/isp-batch-queries.ts';
import { releaseBatchWithIps } from '../../db/isp-lifecycle.ts';
import { lockIspStock } from '../../db/isp-stock.ts';
import { lockOrder } from '../../db/order-state.ts';
import { insertOrder } from '../../db/orders.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import { evaluateStockAlerts } from '../inventory/evaluate-stock-alerts.ts';
import { changeOrderState } from '../orders/change-order-state.ts';
import { resultTx } from '../result-tx.ts';
import { emitOrderCompleted } from '../webhooks/emit-event.ts';
import { batchView } from './batch-view.ts';
import { enqueueWaitQueueRun } from './serve-wait-queue.ts';

const RELEASABLE = new Set(['ready', 'expired', 'provisioning']);

/** The configuration of a batch as its order lines record it. */
function batchConfig(b: Batch): Record<string, unknown> {
  return {
    batch_id: b.id,
    country: b.country,
    city: b.city,
    asn: b.asn,
    quantity: b.quantity,
    months: b.months,
    status: b.status,
    expires_at: b.expiresAt?.toISOString() ?? null,
  };
}

/** The zero-amount `unsubscribe` order that records a release. */
function unsubscribeOrder(deps: Deps, b: Batch, at: Date): Order {
  const zero = { original: 0, discount: 0, voucher: 0, payable: 0, paid: 0 };
  return {
    id: deps.ids.next('ord'),
    accountId: b.accountId,
    product: 'isp',
    type: 'unsubscribe',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    ...zero,
    refunded: 0,
    details: {
      batch_id: b.id,
      quantity: b.quantity,
      country: b.country,
      city: b.city,
      asn: b.asn,
      released_at: at.toISOString(),
      refund_usd_cents: 0,
    },
    lines: [
      {
        id: deps.ids.next('oli'),
        product: 'isp',
        config: { batch_id: b.id, status: 'released', quantity: 0 },
        previousConfig: batchConfig(b),
        paymentMode: 'prepaid',
        duration: null,
        instanceId: b.id,
        status: 'paid',
        quantity: b.quantity,
        unitPrice4: 0,
        ...zero,
        startsAt: at,
        endsAt: b.expiresAt,
      },
    ],
    unpaidCancelAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

export interface ReleasedBatch {
  batch: BatchView;
  /** the `unsubscribe` order that records the release */
  orderId: string;
}

export async function releaseBatch(
  deps: Deps,
  cmd: { accountId: string; id: string },
): Promise<Result<ReleasedBatch>> {
  const now = await deps.clock.now();
  const first = await getBatch(deps.db, cmd.id, cmd.accountId);
  if (!first) return err('not_found', `No such ISP batch: ${cmd.id}`, { param: 'id' });
  return resultTx(deps.db, async (q): Promise<Result<ReleasedBatch>> => {
    await lockIspStock(q, first.country);
    const order = await lockOrder(q, first.orderId, cmd.accountId);
    const b = await getBatch(q, cmd.id, cmd.accountId, { forUpdate: true });
    if (!b) return err('not_found', `No such ISP batch: ${cmd.id}`, { param: 'id' });
    if (!RELEASABLE.has(b.status)) {
      const hint = b.status === 'waiting_inventory' ? '; cancel its order instead (full refund)' : '';
      return err('invalid_state', `A ${b.status} batch cannot be released${hint}`, {
        detail: { status: b.status },
      });
    }
    const returned = await releaseBatchWithIps(q, b.id, now);
    if (!returned) throw new Error(`batch ${b.id} changed under its lock`);
    if (order?.status === 'provisioning') {
      await changeOrderState(q, order.id, {
        status: ['provisioning', 'completed'],
        cause: `ISP batch ${b.id} released by the customer before it was ready`,
        at: now,
      });
      await emitOrderCompleted(q, deps, order, now);
    }
    const unsubscribe = unsubscribeOrder(deps, b, now);
    await insertOrder(q, unsubscribe, `ISP batch ${b.id} released by the customer`);
    await enqueueWaitQueueRun(q, now, b.country);
    await evaluateStockAlerts(q, deps, [b.country], now, returned);
    return ok({ batch: (await batchView(q, b.id, cmd.accountId, now))!, orderId: unsubscribe.id });
  });
}
