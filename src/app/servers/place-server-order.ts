/**
 * `POST /v1/orders` with `{"product":"server", …}` (SPEC §7), KYC required. Prepaid: paid now like
 * any order (vouchers named, the balance, the default card for the rest; settle-server-order.ts
 * writes it). Postpaid (hourly): the balance rule of SPEC §5 is checked with the account locked
 * (arrears → 409 arrears_outstanding; balance + usable vouchers below the threshold → 409
 * balance_below_threshold) and the server is created with a `new` order of 0 payable.
 * `quoteServerOrder` is the same without writing anything.
 */
import { getAccount } from '../../db/accounts.ts';
import type { Sql } from '../../db/client.ts';
import { attachResource } from '../../db/idempotency.ts';
import { insertOrder } from '../../db/orders.ts';
import { insertServer } from '../../db/servers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import { asUnpaid, type QuoteCheck, type QuotePayment, quotePayment } from '../../domain/quote.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { checkOrderBalance } from '../orders/check-order-balance.ts';
import { type PayNowCommand, payNewOrder } from '../payments/pay-from-sources.ts';
import { resultTx } from '../result-tx.ts';
import { priceServerOrder, type ServerOrderInput } from './price-server-order.ts';
import { settleServerOrder } from './settle-server-order.ts';

export interface PlaceServerOrderCommand extends PayNowCommand {
  input: ServerOrderInput;
}

export async function placeServerOrder(deps: Deps, cmd: PlaceServerOrderCommand): Promise<Result<Order>> {
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const gate = orderGate(account, 'server');
  if (!gate.ok) return gate;
  const priced = await priceServerOrder(deps.db, deps.ids, cmd.accountId, cmd.input, now);
  if (!priced.ok) return priced;
  const order = priced.value;
  if (cmd.input.paymentMode === 'postpaid') return placePostpaid(deps, order, cmd.idem, now);
  return payNewOrder(deps, cmd, { account, order, now }, (q, input) => settleServerOrder(deps, q, input));
}

/** The postpaid server: balance rule under the account's lock, then the order and the server. */
function placePostpaid(
  deps: Deps,
  order: Order,
  idem: IdempotencyLink | undefined,
  now: Date,
): Promise<Result<Order>> {
  return writePostpaidOrder(
    deps,
    order,
    { idem, now, cause: 'postpaid server ordered: billed hourly' },
    async (q) => {
      await insertServer(q, {
        id: order.details.server_id as string,
        accountId: order.accountId,
        spec: order.details.spec as string,
        paymentMode: 'postpaid',
        periodStart: null,
        periodEnd: null,
        paidCents: 0,
        termMonths: null,
        orderId: order.id,
        at: now,
      });
      return ok(undefined);
    },
  );
}

/**
 * A postpaid server order of 0 (a new server, or a trial converted): in one transaction, the
 * balance rule of SPEC §5 with the account locked, the order gate, the order written as placed,
 * then `write` (what the order does; its error rolls everything back), and the request's key.
 */
export function writePostpaidOrder(
  deps: Deps,
  order: Order,
  p: { idem: IdempotencyLink | undefined; now: Date; cause: string },
  write: (q: Sql) => Promise<Result<void>>,
): Promise<Result<Order>> {
  return resultTx(deps.db, async (q) => {
    const rule = await checkOrderBalance(deps, {
      accountId: order.accountId,
      product: 'server',
      billing: 'postpaid',
      q,
      lock: true,
      now: p.now,
    });
    if (!rule.ok) return rule;
    const account = await getAccount(q, order.accountId);
    const gate = account ? orderGate(account, 'server') : err('not_found', 'no such account');
    if (!gate.ok) return gate;
    const placed: Order = {
      ...order,
      status: 'completed',
      paymentStatus: 'paid',
      lines: order.lines.map((l) => ({ ...l, status: 'paid' })),
    };
    await insertOrder(q, placed, p.cause);
    const written = await write(q);
    if (!written.ok) return written;
    if (p.idem) await attachResource(q, p.idem.scope, p.idem.key, 'order', order.id);
    return ok(placed);
  });
}

export interface ServerQuote {
  order: Order;
  payment: QuotePayment;
  checks: QuoteCheck[];
}

/** POST /v1/orders/quote for a server: the order, how it would be paid, what would refuse it. */
export async function quoteServerOrder(
  deps: Deps,
  cmd: { accountId: string; input: ServerOrderInput },
): Promise<Result<ServerQuote>> {
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const priced = await priceServerOrder(deps.db, deps.ids, cmd.accountId, cmd.input, now);
  if (!priced.ok) return priced;
  const order = asUnpaid(priced.value);
  const checks: QuoteCheck[] = [];
  const gate = orderGate(account, 'server');
  if (!gate.ok) checks.push({ code: gate.error.code, message: gate.error.message });
  if (cmd.input.paymentMode === 'postpaid') {
    const rule = await checkOrderBalance(deps, {
      accountId: cmd.accountId,
      product: 'server',
      billing: 'postpaid',
      now,
    });
    if (!rule.ok) checks.push({ code: rule.error.code, message: rule.error.message });
  }
  const paying = quotePayment(order.payable, account);
  return ok({ order, payment: paying.payment, checks: [...checks, ...paying.checks] });
}
