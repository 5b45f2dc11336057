/**
 * POST /v1/orders/quote: the envelope an order would get, its payment split and the checks that
 * would fail, without taking money or stock.
 */
import { getAccount } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { sum } from '../../domain/money.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { QuoteCheck, QuotePayment } from '../../domain/quote.ts';
import { asUnpaid, quotePayment } from '../../domain/quote.ts';
import type { Deps } from '../deps.ts';
import type { StockPreview } from '../isp/allocate-stock.ts';
import { quoteIspOrder } from '../isp/quote-isp-order.ts';
import { payableBeforeVouchers, planVouchers, withVouchers } from '../vouchers/plan-vouchers.ts';
import { payLaterAllowed } from './place-unpaid-order.ts';
import { type OrderInput, priceOrder } from './price-order.ts';

export interface Quote {
  order: Order;
  payment: QuotePayment;
  checks: QuoteCheck[];
  /** ISP: what the stock would do with the order */
  stock?: StockPreview;
}

export async function quoteOrder(
  deps: Deps,
  cmd: { accountId: string; input: OrderInput; vouchers?: readonly string[]; pay?: 'now' | 'later' },
): Promise<Result<Quote>> {
  if (cmd.pay === 'later') {
    // refused as the order itself would be
    const allowed = payLaterAllowed(cmd.input);
    if (!allowed.ok) return allowed;
  }
  const quote = await quoteWithoutVouchers(deps, cmd);
  if (!quote.ok || !cmd.vouchers?.length) return quote;
  return applyQuoteVouchers(deps, cmd.accountId, quote.value, cmd.vouchers);
}

/**
 * The quote with the named vouchers applied as an order would spend them (first, in order, split
 * over the lines); an unusable voucher is the order's own 422 voucher_invalid.
 */
async function applyQuoteVouchers(
  deps: Deps,
  accountId: string,
  quote: Quote,
  vouchers: readonly string[],
): Promise<Result<Quote>> {
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, accountId);
  if (!account) return err('not_found', 'no such account');
  const payable = payableBeforeVouchers(quote.order);
  const takes = await planVouchers(deps.db, {
    accountId,
    product: quote.order.product,
    ids: vouchers,
    payable,
    now,
    lock: false,
  });
  if (!takes.ok) return takes;
  const fromVoucher = sum(takes.value.map((t) => t.amount));
  const paying = quotePayment(payable, account, fromVoucher);
  return ok({
    ...quote,
    order: withVouchers(quote.order, fromVoucher, false),
    payment: paying.payment,
    checks: [...quote.checks.filter((c) => c.code !== 'insufficient_balance'), ...paying.checks],
  });
}

async function quoteWithoutVouchers(
  deps: Deps,
  cmd: { accountId: string; input: OrderInput },
): Promise<Result<Quote>> {
  if (cmd.input.product === 'isp') return quoteIspOrder(deps, { accountId: cmd.accountId, input: cmd.input });
  const now = await deps.clock.now();
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const priced = await priceOrder(deps.db, deps.ids, account.id, cmd.input, now);
  if (!priced.ok) return priced;
  const order = asUnpaid(priced.value);
  const checks: QuoteCheck[] = [];
  const gate = orderGate(account, order.product);
  if (!gate.ok) checks.push({ code: gate.error.code, message: gate.error.message });
  const paying = quotePayment(order.payable, account);
  return ok({ order, payment: paying.payment, checks: [...checks, ...paying.checks] });
}
