/**
 * POST /v1/orders (and /quote) for ISP static IPs (SPEC §3, §5, §6): the stock is claimed in the
 * same transaction as the payment, so an order is paid and holds its IPs, or nothing happened.
 *
 * Balance-only orders pay in ONE transaction: claim `quantity` IPs (row locks on those IPs only,
 * FOR UPDATE SKIP LOCKED; see allocate-stock.ts and db/isp-stock.ts), debit the balance
 * (conditional update), write the order, the batch with its IPs, and enqueue the provisioning
 * job. A card pays the rest the usual way (payments/charge-then-settle.ts): the claim happens in the settle
 * transaction, and if the stock is gone by then settling is refused and the card refunded.
 *
 * IPs that orders already waiting for stock could use are kept for them (first come, first served,
 * see serve-wait-queue.ts): a new order neither claims nor counts them. Short stock follows
 * `on_shortage`:
 *  - fail (default): 422 insufficient_inventory with `available` (what the place has), nothing charged;
 *  - wait: paid, `waiting_inventory`, a waiting batch and a row in the wait queue (served by
 *    serve-wait-queue.ts when stock arrives);
 *  - substitute: the nearest place of the country that can deliver in full (domain/substitution.ts),
 *    flagged on the batch and in the order's details; it never costs more than the request
 *    (substitutedAmounts; when a card was charged for the dearer request, the difference stays on
 *    the balance). No such place: 422 insufficient_inventory.
 * Lock order: the stock first (the IP rows claimed; the country's stock lock before them when the
 * claim came up short and the order may wait), then rows (the account here, orders in the
 * wait-queue run); cancellation takes the order, then the account, and never the stock lock. An
 * order holds no row another claim waits for while it waits itself (allocateStock), so none of
 * them can deadlock another.
 */
import { ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import type { PlaceOrderCommand } from '../orders/place-order-command.ts';
import { payFromSources } from '../payments/pay-from-sources.ts';
import { shortError, stockOutlook } from './allocate-stock.ts';
import { fulfilIspOrder } from './fulfil-isp-order.ts';
import { prepareIspOrder } from './prepare-isp-order.ts';
import type { IspOrderInput } from './price-isp-order.ts';
import { settleIspOrderPayment } from './settle-isp-order-payment.ts';

export type IspPlaceCommand = Omit<PlaceOrderCommand, 'input'> & { input: IspOrderInput };

export async function placeIspOrder(deps: Deps, cmd: IspPlaceCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const prepared = await prepareIspOrder(deps, cmd.accountId, cmd.input, now, { gate: true });
  if (!prepared.ok) return prepared;
  const { account, book, draft, req } = prepared.value;
  const vouchers = cmd.vouchers ?? [];

  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      account,
      order: draft,
      vouchers,
      now,
      idem: cmd.idem,
      draft: { order: draft, isp: req },
      // no card is charged for an order the stock cannot serve now (the settle step checks again)
      check: async () => {
        if (req.onShortage === 'wait') return ok(undefined);
        const outlook = await stockOutlook(deps.db, req);
        return outlook.outcome === 'insufficient' ? shortError(req, outlook.available) : ok(undefined);
      },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) =>
      card
        ? settleIspOrderPayment(deps, q, draft, card, cmd.idem, at)
        : fulfilIspOrder(deps, q, { draft, req, book, vouchers, card: null, idem: cmd.idem, at }),
  );
}
