import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertOrder } from '../../db/orders.ts';
import { getServer, insertServer } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import {
  draftVouchers,
  type OrderPaymentSettler,
  paidCause,
  type SettleInput,
  takeGatedPayment,
} from '../payments/take-payment.ts';
import { emitOrderPaidEvents } from '../webhooks/emit-event.ts';
import { settleConvert } from './settle-convert.ts';
import { settleServerTerm } from './settle-server-term.ts';
import { settleTempUpgrade } from './settle-temp-upgrade.ts';

/** Crash recovery's entry: settles a server order's card payment from its draft. */
export const settleServerOrderPayment: OrderPaymentSettler = (deps, q, order, payment, idem, at) => {
  const p = { order, vouchers: draftVouchers(payment), card: payment, idem, at };
  // `new` creates the server; a temporary upgrade sets its window; a spec upgrade or a renewal
  // changes an existing server's term
  if (order.type === 'new') return settleServerOrder(deps, q, p);
  if (order.type === 'temp_upgrade') return settleTempUpgrade(deps, q, p);
  if (order.type === 'convert') return settleConvert(deps, q, p);
  return settleServerTerm(deps, q, p);
};

export async function settleServerOrder(deps: Deps, q: Sql, p: SettleInput): Promise<Result<Order>> {
  const { order, at } = p;
  const serverId = order.details.server_id as string;
  // a settlement run twice (request and recovery) creates the server once
  if (await getServer(q, serverId, order.accountId)) {
    return err('invalid_state', `Server ${serverId} already exists`);
  }
  const taken = await takeGatedPayment(deps, q, p);
  if (!taken.ok) return taken;
  const paid: Order = { ...taken.value, status: 'completed', createdAt: order.createdAt, updatedAt: at };
  await insertOrder(q, paid, paidCause(paid, p.card !== null));
  const line = paid.lines[0]!;
  await insertServer(q, {
    id: serverId,
    accountId: order.accountId,
    spec: order.details.spec as string,
    paymentMode: 'prepaid',
    periodStart: line.startsAt,
    periodEnd: line.endsAt,
    // cash and vouchers both paid for the term: the unsubscribe refund is a share of it
    paidCents: paid.payable + paid.voucher,
    termMonths: order.details.months as number,
    orderId: order.id,
    at: at,
  });
  if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
  await emitOrderPaidEvents(q, deps, paid, at);
  return ok(paid);
}
