/**
 * Settling a trial's conversion to prepaid in the paying transaction (the request's and crash
 * recovery's; settle-server-order.ts dispatches here): the locked trial becomes the priced server
 * if it is still a running trial.
 */
import type { Sql } from '../../db/client.ts';
import { convertTrialServer, getServer } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import type { Deps } from '../deps.ts';
import type { SettleInput } from '../payments/take-payment.ts';
import { settleServerChange } from './settle-server-term.ts';

export async function applyConvert(q: Sql, order: Order, at: Date): Promise<Result<void>> {
  const id = order.details.server_id as string;
  await getServer(q, id, order.accountId, { forUpdate: true });
  const line = order.lines[0]!;
  const prepaid = order.paymentMode === 'prepaid';
  const done = await convertTrialServer(
    q,
    id,
    {
      paymentMode: prepaid ? 'prepaid' : 'postpaid',
      periodStart: prepaid ? line.startsAt : null,
      periodEnd: prepaid ? line.endsAt : null,
      // cash and vouchers both paid for the term: the unsubscribe refund is a share of it
      paidCents: prepaid ? order.payable + order.voucher : 0,
      termMonths: prepaid ? (order.details.months as number) : null,
    },
    at,
  );
  return done
    ? ok(undefined)
    : err('invalid_state', `Server ${id} is no longer a running trial; nothing was done`);
}

/** The paying transaction of a prepaid conversion (the request's and crash recovery's). */
export function settleConvert(deps: Deps, q: Sql, p: SettleInput): Promise<Result<Order>> {
  return settleServerChange(deps, q, p, applyConvert, true);
}
