/** POST /v1/orders/{id}/pay: pays an order placed with `"pay": "later"` from its sources (SPEC §4, §5). */
import { getAccount } from '../../db/accounts.ts';
import { lockOrder } from '../../db/order-state.ts';
import { getOrder, getPayLater } from '../../db/orders.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { earlierOrderForKey } from '../payments/earlier-order-for-key.ts';
import { payFromSources } from '../payments/pay-from-sources.ts';
import { notFound, notPayable, settlePendingOrderPayment } from './settle-pending-order-payment.ts';

export interface PayOrderCommand {
  accountId: string;
  orderId: string;
  /** the vouchers to spend; omitted: those named when the order was placed */
  vouchers?: readonly string[];
  idem?: IdempotencyLink;
  /** test seam for crash simulation, see chargeThenSettle */
  afterCharge?: () => Promise<void>;
}

export async function payPendingOrder(deps: Deps, cmd: PayOrderCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const [order, account, record] = await Promise.all([
    getOrder(deps.db, cmd.orderId, cmd.accountId),
    getAccount(deps.db, cmd.accountId),
    getPayLater(deps.db, cmd.orderId),
  ]);
  if (!order || !account) return notFound(cmd.orderId);
  if (cmd.idem && order.paymentStatus === 'paid') {
    // a request under this key may have died after charging the card: answer with what it paid
    const earlier = await earlierOrderForKey(deps, cmd.accountId, cmd.idem);
    if (earlier) return earlier;
  }
  if (order.paymentStatus !== 'pending_payment') return notPayable(order);
  const gate = orderGate(account, order.product);
  if (!gate.ok) return gate;
  const vouchers = cmd.vouchers ?? record?.vouchers ?? [];
  return payFromSources(
    deps,
    {
      accountId: cmd.accountId,
      account,
      order,
      vouchers,
      now,
      idem: cmd.idem,
      draft: { order, pay_later: true },
      // the card's intent is written under the order's lock, once it is known to be payable: a
      // cancellation (which takes the same lock) then sees the payment in flight and waits for it
      reserve: async (q) => {
        const locked = await lockOrder(q, order.id, order.accountId);
        if (!locked) return notFound(order.id);
        return locked.paymentStatus === 'pending_payment' ? ok(undefined) : notPayable(locked);
      },
      ...(cmd.afterCharge ? { afterCharge: cmd.afterCharge } : {}),
    },
    (q, card, at) => settlePendingOrderPayment(deps, q, order, vouchers, card, cmd.idem, at),
  );
}
