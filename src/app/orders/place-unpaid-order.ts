/**
 * POST /v1/orders with `"pay": "later"` (SPEC §4, the console flow): the order is written
 * `pending_payment` (status and payment_status; its lines too) and nothing is taken. It is paid
 * with POST /v1/orders/{id}/pay (pay-pending-order.ts) or cancelled (cancel-unpaid-order.ts), by the
 * customer or by the system at `unpaid_cancel_at` (config.unpaidOrderSeconds: 24 h by default, 1 h
 * for an ISP order, which holds its IPs).
 *
 * Vouchers named here are checked now and shown as the order's voucher deduction (a quote), but
 * spent only when the order is paid; /pay may name other vouchers instead.
 *
 * ISP: the IPs are claimed now, under the country's stock lock, and HELD for the order (isp_ips
 * status 'held', held_by_order_id); its batch is created when it is paid. Pay later needs the stock
 * now: `on_shortage` `fail` (422 insufficient_inventory) or `substitute` (the substitute's IPs are
 * held, at its price); `wait` is refused (422 invalid_request) since nothing would be held.
 */
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { holdClaimedIps } from '../../db/isp-held-ips.ts';
import { lockIspStock } from '../../db/isp-stock.ts';
import { insertOrder, type PayLaterRecord, setPayLater } from '../../db/orders.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { sum } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import { allocateStock as allocate, allocatedOrder, shortError } from '../isp/allocate-stock.ts';
import { prepareIspOrder as prepare } from '../isp/prepare-isp-order.ts';
import type { IspOrderInput } from '../isp/price-isp-order.ts';
import { resultTx } from '../result-tx.ts';
import { payableBeforeVouchers, planVouchers, withVouchers } from '../vouchers/plan-vouchers.ts';
import { scheduleUnpaidCancel } from './cancel-unpaid-order.ts';
import type { PlaceOrderCommand } from './place-order-command.ts';
import { priceForAccount } from './price-for-account.ts';
import type { OrderInput } from './price-order.ts';

const CAUSE = 'placed, to be paid later';

/** The order as placed unpaid: pending_payment, nothing paid, the vouchers' deduction shown. */
async function unpaid(
  q: Sql,
  order: Order,
  vouchers: readonly string[],
  unpaidCancelAt: Date,
  now: Date,
): Promise<Result<Order>> {
  const takes = await planVouchers(q, {
    accountId: order.accountId,
    product: order.product,
    ids: vouchers,
    payable: payableBeforeVouchers(order),
    now,
    lock: false,
  });
  if (!takes.ok) return takes;
  const pending: Order = {
    ...order,
    status: 'pending_payment',
    paymentStatus: 'pending_payment',
    lines: order.lines.map((l) => ({ ...l, status: 'pending_payment' })),
    unpaidCancelAt,
  };
  return ok(withVouchers(pending, sum(takes.value.map((t) => t.amount)), false));
}

/** Writes the unpaid order, what its payment will need, its deadline job and the key's link. */
async function writeUnpaid(
  q: Sql,
  cmd: PlaceOrderCommand,
  order: Order,
  record: PayLaterRecord,
  now: Date,
): Promise<void> {
  await insertOrder(q, order, CAUSE);
  await setPayLater(q, order.id, record);
  await scheduleUnpaidCancel(q, order.id, order.unpaidCancelAt!, now);
  if (cmd.idem) await attachResource(q, cmd.idem.scope, cmd.idem.key, 'order', order.id);
}

export async function placeUnpaidOrder(deps: Deps, cmd: PlaceOrderCommand): Promise<Result<Order>> {
  if (cmd.input.product === 'isp') return placeUnpaidIspOrder(deps, cmd, cmd.input);
  const now = await deps.clock.now();
  const priced = await priceForAccount(deps, cmd, now);
  if (!priced.ok) return priced;
  const vouchers = [...(cmd.vouchers ?? [])];
  const due = new Date(now.getTime() + deps.config.unpaidOrderSeconds.default * 1000);
  const order = await unpaid(deps.db, priced.value.order, vouchers, due, now);
  if (!order.ok) return order;
  await deps.db.tx((q) => writeUnpaid(q, cmd, order.value, { vouchers }, now));
  return order;
}

/** Whether an order may be placed with pay later (also asked by the quote, which answers alike). */
export function payLaterAllowed(input: OrderInput): Result<void> {
  if (input.product === 'isp' && input.onShortage === 'wait') {
    return err(
      'invalid_request',
      'pay later holds the stock now: on_shortage must be fail or substitute (wait needs pay now)',
      { param: 'on_shortage' },
    );
  }
  return ok(undefined);
}

async function placeUnpaidIspOrder(
  deps: Deps,
  cmd: PlaceOrderCommand,
  input: IspOrderInput,
): Promise<Result<Order>> {
  const allowed = payLaterAllowed(input);
  if (!allowed.ok) return allowed;
  const now = await deps.clock.now();
  const prepared = await prepare(deps, cmd.accountId, input, now, { gate: true });
  if (!prepared.ok) return prepared;
  const { book, draft, req } = prepared.value;
  const vouchers = [...(cmd.vouchers ?? [])];
  const due = new Date(now.getTime() + deps.config.unpaidOrderSeconds.holdingStock * 1000);
  return resultTx(deps.db, async (q): Promise<Result<Order>> => {
    const batchId = draft.details.batch_id as string;
    await lockIspStock(q, req.country);
    const alloc = await allocate(q, req, batchId, now);
    if (alloc.kind !== 'claimed') return shortError(req, alloc.kind === 'short' ? alloc.available : 0);
    // the batch's period starts when the order is paid
    const built = allocatedOrder({ draft, req, book, claimed: alloc, term: null });
    const order = await unpaid(q, built, vouchers, due, now);
    if (!order.ok) return order;
    await writeUnpaid(
      q,
      cmd,
      order.value,
      { vouchers, isp: { subuserId: req.subuserId, months: req.months, autoRenew: req.autoRenew } },
      now,
    );
    const held = await holdClaimedIps(q, batchId, order.value.id, now);
    if (held !== req.quantity) throw new Error(`held ${held} IPs for ${req.quantity} claimed`);
    return order;
  });
}
