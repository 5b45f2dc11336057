import { addMonths } from '../../domain/batch-lifecycle.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { orderGate } from '../../domain/order-gate.ts';
import type { QuoteCheck, QuotePayment } from '../../domain/quote.ts';
import { asUnpaid, quotePayment } from '../../domain/quote.ts';
import type { Deps } from '../deps.ts';
import { allocatedOrder, type StockPreview, shortError, stockOutlook } from './allocate-stock.ts';
import { prepareIspOrder } from './prepare-isp-order.ts';
import type { IspOrderInput } from './price-isp-order.ts';

/**
 * POST /v1/orders/quote for ISP: the envelope the order would get (priced at the place it would
 * be delivered from), its payment split, the checks that would fail, and what the stock would do.
 */
export interface IspOrderQuote {
  order: Order;
  payment: QuotePayment;
  checks: QuoteCheck[];
  stock: StockPreview;
}

export async function quoteIspOrder(
  deps: Deps,
  cmd: { accountId: string; input: IspOrderInput },
): Promise<Result<IspOrderQuote>> {
  const now = await deps.clock.now();
  const prepared = await prepareIspOrder(deps, cmd.accountId, cmd.input, now, { gate: false });
  if (!prepared.ok) return prepared;
  const { account, book, draft, req } = prepared.value;
  const checks: QuoteCheck[] = [];
  const gate = orderGate(account, 'isp');
  if (!gate.ok) checks.push({ code: gate.error.code, message: gate.error.message });

  const outlook = await stockOutlook(deps.db, req);
  if (outlook.outcome === 'insufficient') {
    const e = shortError(req, outlook.available).error;
    checks.push({ code: e.code, message: e.message });
  }
  const sub = outlook.substitute;
  // priced at the place it would be delivered from, as the order itself would be (allocatedOrder)
  const priced = sub
    ? allocatedOrder({
        draft,
        req,
        book,
        claimed: { kind: 'claimed', ips: [], city: sub.city, asn: sub.asn, substitute: sub },
        term: { startsAt: now, expiresAt: addMonths(now, req.months) },
      })
    : draft;
  if (outlook.outcome === 'waiting_inventory') {
    priced.details = { ...priced.details, expires_at: null };
    priced.lines = priced.lines.map((l) => ({ ...l, startsAt: null, endsAt: null }));
  }
  const order = asUnpaid(priced);
  const paying = quotePayment(order.payable, account);
  return ok({
    order,
    payment: paying.payment,
    checks: [...checks, ...paying.checks],
    stock: { available: outlook.available, outcome: outlook.outcome, substitution: outlook.substitution },
  });
}
