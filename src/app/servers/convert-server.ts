/**
 * `POST /v1/servers/{id}/convert {payment_mode, months?, vouchers?, dry_run?}` (SPEC §7 `convert`):
 * a running trial becomes a prepaid server (1 or 12 months from now, priced and paid like a new
 * one: vouchers named, the balance, the default card; the rest of the trial is not carried over)
 * or a postpaid one (billed hourly from now; the balance rule of SPEC §5 is checked with the
 * account locked). A `convert` order with the instance's id; its line's previous_config is the
 * trial. A trial past its end, or already converted, is 409 invalid_state.
 */
import { getAccount } from '../../db/accounts.ts';
import { getServer, type ServerRow } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { asUnpaid } from '../../domain/quote.ts';
import type { ServerSpec } from '../../domain/server-specs.ts';
import type { Deps } from '../deps.ts';
import { type PayNowCommand, payNewOrder } from '../payments/pay-from-sources.ts';
import { writePostpaidOrder } from './place-server-order.ts';
import { priceServerOrder } from './price-server-order.ts';
import { applyConvert, settleConvert } from './settle-convert.ts';

export interface ConvertServerCommand extends PayNowCommand {
  serverId: string;
  paymentMode: 'prepaid' | 'postpaid';
  months?: number;
  dryRun?: boolean;
}

function convertible(s: ServerRow, now: Date): Result<void> {
  if (s.paymentMode !== 'trial') {
    return err('invalid_state', `Server ${s.id} is not a trial (it is ${s.paymentMode})`, {
      detail: { status: s.status },
    });
  }
  if (s.status !== 'running' || !s.periodEnd || s.periodEnd.getTime() <= now.getTime()) {
    return err('invalid_state', `Server ${s.id}'s trial has ended`, { detail: { status: s.status } });
  }
  return ok(undefined);
}

async function priceConvert(deps: Deps, cmd: ConvertServerCommand, now: Date): Promise<Result<Order>> {
  const s = await getServer(deps.db, cmd.serverId, cmd.accountId);
  if (!s) return err('not_found', `No such server: ${cmd.serverId}`, { param: 'id' });
  const state = convertible(s, now);
  if (!state.ok) return state;
  const priced = await priceServerOrder(
    deps.db,
    deps.ids,
    cmd.accountId,
    {
      product: 'server',
      spec: s.spec as ServerSpec,
      paymentMode: cmd.paymentMode,
      ...(cmd.months !== undefined ? { months: cmd.months } : {}),
    },
    now,
  );
  if (!priced.ok) return priced;
  const trial = {
    spec: s.spec,
    payment_mode: 'trial',
    period_start: s.periodStart?.toISOString() ?? null,
    period_end: s.periodEnd?.toISOString() ?? null,
  };
  const o = priced.value;
  return ok({
    ...o,
    type: 'convert',
    lines: o.lines.map((l) => ({ ...l, instanceId: s.id, previousConfig: trial })),
    details: { ...o.details, server_id: s.id, converted_from: trial },
  });
}

/** Turns the locked trial into what the order says, or fails when it is no longer a running trial. */
export async function convertServer(deps: Deps, cmd: ConvertServerCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const priced = await priceConvert(deps, cmd, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  if (cmd.dryRun)
    return ok(order.payable > 0 ? asUnpaid(order) : { ...order, status: 'completed', paymentStatus: 'paid' });
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  if (cmd.paymentMode === 'prepaid') {
    return payNewOrder(deps, cmd, { account, order, now }, (q, input) => settleConvert(deps, q, input));
  }
  return writePostpaidOrder(
    deps,
    order,
    { idem: cmd.idem, now, cause: 'trial converted to postpaid: billed hourly' },
    (q) => applyConvert(q, order, now),
  );
}
