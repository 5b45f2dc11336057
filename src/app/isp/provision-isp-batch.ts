/**
 * Provisioning an ISP batch (SPEC §6), run by the durable job `provision_isp_batch`: the
 * provisioner turns the batch's allocated IPs into working proxies, then, in one transaction, the
 * batch becomes `ready`, its order `completed` (events `isp_batch.ready` and `order.completed`) and
 * the customer's "batch ready" mail is queued (with the substitution flagged when the batch has one).
 *
 * The provisioner is called outside any transaction and may be called again for the same batch
 * (a crash after it answered, a retry): provisioners must treat a repeated call as a no-op that
 * answers the same. Everything after it is guarded by `WHERE status = 'provisioning'`, so a second
 * run finds nothing to do and changes nothing.
 */
import { getBatch, listLiveBatchIps, markBatchReady } from '../../db/isp-batch-queries.ts';
import { releaseBatchWithIps } from '../../db/isp-lifecycle.ts';
import type { SubstitutionRecord } from '../../db/isp-new-batches.ts';
import { lockIspStock } from '../../db/isp-stock.ts';
import { lockOrder } from '../../db/order-state.ts';
import { ok, type Result } from '../../domain/errors.ts';
import { orderTransitions, transition } from '../../domain/order-states.ts';
import type { Deps } from '../deps.ts';
import { evaluateStockAlerts } from '../inventory/evaluate-stock-alerts.ts';
import { type Mail, queueMail } from '../notifications/queue-mail.ts';
import { changeOrderState } from '../orders/change-order-state.ts';
import { batchEvent, emitIfWanted, orderEvent } from '../webhooks/emit-event.ts';
import { enqueueWaitQueueRun } from './serve-wait-queue.ts';

export type ProvisionOutcome =
  /** the batch is ready and its order completed */
  | { outcome: 'ready' }
  /** the provisioner asks to be called again later (the job retries with backoff) */
  | { outcome: 'retry'; reason: string }
  /** the provisioner gave up: the order failed, the batch is released, its IPs are back in stock */
  | { outcome: 'failed'; reason: string }
  /** nothing to do: the batch is not provisioning (already done, released, or unknown) */
  | { outcome: 'skipped'; status: string | null };

export async function provisionIspBatch(
  deps: Deps,
  cmd: { batchId: string },
): Promise<Result<ProvisionOutcome>> {
  const batch = await getBatch(deps.db, cmd.batchId, null);
  if (batch?.status !== 'provisioning') {
    return ok({ outcome: 'skipped', status: batch?.status ?? null });
  }
  const ips = await listLiveBatchIps(deps.db, batch.id);
  const result = await deps.provisioner.provision(
    {
      batchId: batch.id,
      country: batch.country,
      ips: ips.map((ip) => ({ id: ip.id, address: ip.ip, port: ip.port })),
    },
    await deps.clock.now(),
  );
  if (result.status === 'retry') return ok({ outcome: 'retry', reason: result.reason });

  const at = await deps.clock.now();
  if (result.status === 'failed') {
    const failed = await deps.db.tx(async (q) => {
      // the stock lock first, as every flow that returns IPs to stock (release-batch.ts)
      await lockIspStock(q, batch.country);
      const order = await lockOrder(q, batch.orderId, null);
      const returned = await releaseBatchWithIps(q, batch.id, at, {
        from: ['provisioning'],
        reason: 'provisioning_failed',
      });
      if (!returned) return false;
      if (order && transition(orderTransitions, order.status, 'failed', 'order').ok) {
        await changeOrderState(q, order.id, {
          status: [order.status, 'failed'],
          cause: `provisioning of ${batch.id} failed: ${result.reason}`,
          at,
        });
      }
      // the IPs are back in stock: waiting orders may be served, alerts may fire
      await enqueueWaitQueueRun(q, at, batch.country);
      await evaluateStockAlerts(q, deps, [batch.country], at, returned);
      return true;
    });
    if (!failed) return ok({ outcome: 'skipped', status: 'not provisioning' });
    deps.log.error(
      {
        batchId: batch.id,
        orderId: batch.orderId,
        provisioner: deps.provisioner.name,
        reason: result.reason,
      },
      'ISP batch provisioning failed; order failed, IPs back in stock (refund pending)',
    );
    return ok({ outcome: 'failed', reason: result.reason });
  }

  const done = await deps.db.tx(async (q) => {
    // the order first, as every flow that touches an ISP order and its batch locks them
    const order = await lockOrder(q, batch.orderId, null);
    if (!(await markBatchReady(q, batch.id, at))) return false;
    const completes = order !== null && transition(orderTransitions, order.status, 'completed', 'order').ok;
    if (order && completes) {
      await changeOrderState(q, order.id, {
        status: [order.status, 'completed'],
        cause: `ISP batch ${batch.id} ready`,
        at,
      });
    } else {
      deps.log.warn(
        { batchId: batch.id, orderId: batch.orderId, orderStatus: order?.status ?? null },
        'ISP batch ready but its order is not provisioning; order left as it is',
      );
    }
    // isp_batch.ready, and order.completed for the order that completes with it (SPEC §6)
    await emitIfWanted(
      q,
      deps,
      batch.accountId,
      completes ? ['isp_batch.ready', 'order.completed'] : ['isp_batch.ready'],
      async () => [
        await batchEvent(q, 'isp_batch.ready', batch, at),
        ...(order && completes ? [await orderEvent(q, 'order.completed', order, at)] : []),
      ],
    );
    await queueMail(
      q,
      deps,
      { accountId: batch.accountId },
      'isp_batch_ready',
      batchReadyMail(batch, batch.username),
      at,
    );
    return true;
  });
  if (!done) return ok({ outcome: 'skipped', status: 'not provisioning' });
  deps.log.info({ batchId: batch.id, orderId: batch.orderId, ips: ips.length }, 'ISP batch ready');
  return ok({ outcome: 'ready' });
}

/** The substitution record as place-isp-order writes it, read defensively. */
type SubstitutionLike = Partial<SubstitutionRecord>;

const REASONS: Record<string, string> = {
  same_city_other_asn: 'another carrier (ASN) in the same city',
  nearest_city: 'the nearest city with enough stock',
  other_asn: 'another carrier (ASN)',
};

/** A batch's place as far as it was chosen: "us / newyork / AS7922", "br", "de / AS3320". */
export function batchPlace(p: { country: string; city: string | null; asn: number | null }): string {
  return [p.country, p.city, p.asn === null ? null : `AS${p.asn}`].filter((x) => x !== null).join(' / ');
}

/** The "batch ready" mail: quantity, place, term, credentials' username, substitution flagged. */
function batchReadyMail(
  b: {
    id: string;
    orderId: string;
    country: string;
    city: string | null;
    asn: number | null;
    quantity: number;
    months: number;
    expiresAt: Date | null;
    substitution: Record<string, unknown> | null;
  },
  username: string,
): Mail {
  const place = batchPlace({ country: b.country, city: b.city, asn: b.asn });
  const sub = b.substitution as SubstitutionLike | null;
  const lines = [
    'Hello,',
    '',
    `Your ISP batch ${b.id} (order ${b.orderId}) is ready: ${b.quantity} dedicated static IPs in ${place},`,
    `for ${b.months === 12 ? '12 months' : '1 month'}${b.expiresAt ? `, until ${b.expiresAt.toISOString()}` : ''}.`,
  ];
  if (sub) {
    const requested = batchPlace({
      country: b.country,
      city: sub.requested?.city ?? null,
      asn: sub.requested?.asn ?? null,
    });
    const delivered = sub.delivered
      ? batchPlace({ country: b.country, city: sub.delivered.city ?? null, asn: sub.delivered.asn ?? null })
      : place;
    const why = (sub.reason && REASONS[sub.reason]) ?? sub.reason ?? 'the nearest place with stock';
    const distance =
      typeof sub.distance_km === 'number' && sub.distance_km > 0 ? `, ${sub.distance_km} km away` : '';
    lines.push(
      '',
      'SUBSTITUTION: there was not enough stock where you asked, so, as your order allowed',
      `(on_shortage: "substitute"), the batch was delivered from ${why}${distance}:`,
      `  requested: ${requested}`,
      `  delivered: ${delivered}`,
    );
  }
  lines.push(
    '',
    `The proxies use the username ${username} and the password of that subuser (unless you rotate`,
    "the batch's password). Download the list in the console (ISP → batches) or with",
    `GET /v1/isp/batches/${b.id}/ips?format=plain (ip:port:username:password, one a line).`,
  );
  return {
    subject: `${sub ? '[Substituted] ' : ''}Your ISP batch is ready: ${b.quantity} IPs in ${place}`,
    body: lines.join('\n'),
  };
}
