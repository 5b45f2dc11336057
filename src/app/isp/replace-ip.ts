/**
 * POST /v1/isp/ips/{ip_id}/replace {reason, accept_charge?, dry_run?} (SPEC §6 "Replacement"):
 * one live IP of a ready batch of the caller is swapped for a fresh one from the batch's place
 * (its country, and its city and ASN where it has them), and the old one goes back to stock.
 *
 * The quota is replacementDecision's: free without limit for 14 days after purchase (not
 * counted), then free up to ceil(10% of the batch size) per billing period, beyond it
 * `409 replacement_quota_exceeded` unless `accept_charge`: then a `change` order for the
 * replacement fee (price book `replacement_fee`, 1.00 by default) is paid from the balance in the
 * same transaction. A balance that does not cover the fee is `409 insufficient_balance` (the card
 * is not charged for a replacement fee: decision recorded in the report/docs). Each replacement is
 * recorded in isp_replacements (free, counts_toward_quota, order_id). The fee order raises
 * `order.paid` and `order.completed` in the same transaction.
 *
 * `dry_run` answers what would happen (free or charged, the fee, the allowances after, and the
 * same errors) without taking stock or money.
 *
 * Another tenant's IP (or an unknown id) is `404 not_found`; an IP that is not live in a ready
 * batch is `409 invalid_state`. Concurrent replacements on one batch are serialized by the
 * country's stock lock and the batch's row lock, so the quota is counted right and no fresh IP
 * is handed out twice (claimIps, and the unique index of live IPs).
 */

import type { IpReplacement } from '../../contract/ip-replacement.ts';
import { getAccount } from '../../db/accounts.ts';
import { type Batch, countQuotaReplacements, getBatch } from '../../db/isp-batch-queries.ts';
import {
  findIpLink,
  getIps,
  type IpRow,
  insertReplacements,
  isLiveInBatch,
  swapBatchIps,
} from '../../db/isp-lifecycle.ts';
import { claimIps, lockIspStock, unclaimIps } from '../../db/isp-stock.ts';
import { waitingPlaces } from '../../db/isp-wait-queue.ts';
import { debitCashIfCovered } from '../../db/ledger.ts';
import { insertOrder } from '../../db/orders.ts';
import { currentPeriod } from '../../domain/batch-lifecycle.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { replacementCharge } from '../../domain/isp-pricing.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import { allowances, replacementDecision } from '../../domain/replacement-quota.ts';
import type { Deps } from '../deps.ts';
import { evaluateStockAlerts } from '../inventory/evaluate-stock-alerts.ts';
import { resultTx } from '../result-tx.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import { refreshUsedIn } from './batch-view.ts';
import { loadIspPriceBook } from './price-isp-order.ts';
import { enqueueWaitQueueRun } from './serve-wait-queue.ts';

export interface ReplaceIpCommand {
  accountId: string;
  ipId: string;
  reason: string;
  acceptCharge: boolean;
  dryRun: boolean;
}

function notFound(ipId: string) {
  return err('not_found', `No such IP: ${ipId}`, { param: 'ip_id' });
}

/** The `change` order that pays one replacement's fee. */
function feeOrder(
  deps: Deps,
  b: Batch,
  old: IpRow,
  fee: ReturnType<typeof replacementCharge>,
  reason: string,
  at: Date,
): Order {
  const line = {
    id: deps.ids.next('oli'),
    product: 'isp',
    config: { batch_id: b.id, replace_ip: old.id, ip: old.ip, reason, replacement: 'paid' },
    previousConfig: {
      batch_id: b.id,
      ip_id: old.id,
      ip: old.ip,
      port: old.port,
      city: old.city,
      asn: old.asn,
    },
    paymentMode: 'prepaid' as const,
    duration: null,
    instanceId: b.id,
    status: 'paid' as const,
    quantity: fee.quantity,
    unitPrice4: fee.unitPrice,
    original: fee.original,
    discount: fee.discount,
    voucher: 0,
    payable: fee.payable,
    paid: fee.payable,
    startsAt: at,
    endsAt: null,
  };
  return {
    id: deps.ids.next('ord'),
    accountId: b.accountId,
    product: 'isp',
    type: 'change',
    status: 'completed',
    paymentStatus: 'paid',
    paymentMode: 'prepaid',
    original: fee.original,
    discount: fee.discount,
    voucher: 0,
    payable: fee.payable,
    paid: fee.payable,
    refunded: 0,
    details: {
      batch_id: b.id,
      change: 'ip_replacement',
      replaced_ip_id: old.id,
      reason,
      price_per_ip: fee.unitPrice,
    },
    lines: [line],
    unpaidCancelAt: null,
    createdAt: at,
    updatedAt: at,
  };
}

export async function replaceIp(deps: Deps, cmd: ReplaceIpCommand): Promise<Result<IpReplacement>> {
  const now = await deps.clock.now();
  const link = await findIpLink(deps.db, cmd.ipId, cmd.accountId);
  if (!link) return notFound(cmd.ipId);
  const first = await getBatch(deps.db, link.batchId, cmd.accountId);
  if (!first) return notFound(cmd.ipId);
  const book = await loadIspPriceBook(deps.db);
  return resultTx(deps.db, async (q): Promise<Result<IpReplacement>> => {
    await lockIspStock(q, first.country);
    const b = await getBatch(q, link.batchId, cmd.accountId, { forUpdate: true });
    if (!b) return notFound(cmd.ipId);
    if (b.status !== 'ready' || !b.periodStartedAt) {
      return err('invalid_state', `IPs are replaced in a ready batch; batch ${b.id} is ${b.status}`, {
        param: 'ip_id',
        detail: { status: b.status },
      });
    }
    if (!(await isLiveInBatch(q, b.id, cmd.ipId))) {
      return err('invalid_state', `IP ${cmd.ipId} no longer serves batch ${b.id}`, { param: 'ip_id' });
    }
    const period = currentPeriod(b.periodStartedAt, b.months, now);
    const used = (await countQuotaReplacements(q, [{ batchId: b.id, ...period }])).get(b.id) ?? 0;
    const decision = replacementDecision({
      purchasedAt: b.createdAt,
      now,
      batchSize: b.quantity,
      periodStart: period.start,
      periodEnd: period.end,
      usedThisPeriod: used,
      acceptCharge: cmd.acceptCharge,
    });
    if (!decision.ok) return decision;
    const d = decision.value;
    const fee = d.free ? null : replacementCharge(book);
    const after = allowances({
      purchasedAt: b.createdAt,
      now,
      batchSize: b.quantity,
      periodEnd: period.end,
      usedThisPeriod: d.usedAfter,
      refreshUsed: refreshUsedIn(b, period.start),
    });
    const [old] = await getIps(q, [cmd.ipId]);
    if (!old) return notFound(cmd.ipId);
    const place = { country: b.country, city: b.city, asn: b.asn };
    const reserved = await waitingPlaces(q, b.country);
    const where = [b.country, b.city, b.asn].filter((x) => x !== null).join('/');
    const short = () =>
      err('insufficient_inventory', `No fresh IP is available in ${where} to replace ${old.ip}`, {
        detail: { available: 0, requested: 1 },
      });

    let account = null;
    if (fee) {
      account = await getAccount(q, b.accountId, { forUpdate: true });
      if (!account) return notFound(cmd.ipId);
      const gate = orderGate(account, 'isp');
      if (!gate.ok) return gate;
      if (account.balanceCents < fee.payable) {
        return err('insufficient_balance', 'The balance does not cover the replacement fee', {
          detail: {
            decline_code: 'balance_short',
            balance_short_usd_cents: fee.payable - account.balanceCents,
          },
        });
      }
    }
    const result: IpReplacement = {
      id: null,
      batchId: b.id,
      oldIp: old,
      newIp: null,
      reason: cmd.reason,
      free: d.free,
      countsTowardQuota: d.countsTowardQuota,
      charge: fee?.payable ?? 0,
      orderId: null,
      allowances: after,
      dryRun: cmd.dryRun,
      at: now,
    };
    const [fresh] = await claimIps(q, {
      ...place,
      batchId: b.id,
      quantity: 1,
      at: now,
      exclude: reserved,
      freshFor: b.id,
    });
    if (!fresh) return short();
    if (cmd.dryRun) {
      // the claim only proved a fresh IP is there: give it back
      await unclaimIps(q, b.id, [fresh.id], now);
      return ok(result);
    }
    if (fee) {
      const order = feeOrder(deps, b, old, fee, cmd.reason, now);
      const debit = await debitCashIfCovered(q, {
        id: deps.ids.next('txn'),
        accountId: b.accountId,
        amount: -fee.payable,
        cause: 'order',
        orderId: order.id,
        at: now,
      });
      // the account is locked and was checked: a miss here is a bug; resultTx rolls everything back
      if (!debit) return err('insufficient_balance', 'The balance changed');
      await insertOrder(q, order, 'replacement fee paid from balance');
      await emitOrderPaidEvents(q, deps, order, now);
      result.orderId = order.id;
    }
    const returned = await swapBatchIps(q, {
      batchId: b.id,
      oldIds: [old.id],
      newIds: [fresh.id],
      reason: `replaced: ${cmd.reason}`,
      at: now,
    });
    result.id = deps.ids.next('rpl');
    await insertReplacements(
      q,
      [
        {
          id: result.id,
          batchId: b.id,
          oldIpId: old.id,
          newIpId: fresh.id,
          reason: cmd.reason,
          free: d.free,
          countsTowardQuota: d.countsTowardQuota,
          orderId: result.orderId,
        },
      ],
      now,
    );
    await enqueueWaitQueueRun(q, now, b.country);
    await evaluateStockAlerts(q, deps, [b.country], now, returned);
    const [newIp] = await getIps(q, [fresh.id]);
    result.newIp = newIp!;
    return ok(result);
  });
}
