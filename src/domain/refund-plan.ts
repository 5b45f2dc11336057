/**
 * Where a refund goes (SPEC §5 "Refunds go back where the money came from"), pure: what an order
 * took from each source, what each already got back, and the amount asked for come in; the parts
 * by source come out, with every term of the formula for the dry run.
 *
 * Sources: the order's cash debits (cause 'order'; a card charge first enters the balance and
 * may also have covered arrears, so the card's share is at most that cash), its card payments,
 * and its voucher spends. paid = cash + vouchers; refundable = paid − already refunded.
 *
 * Order of refunding a partial amount (docs/decisions.md): the reverse of paying. Paying takes
 * vouchers, then the balance, then the card; so a refund goes to the card first (newest charge
 * first), then the balance, then the vouchers — still-valid ones before expired ones, each group
 * in reverse spending order. An expired voucher's part is not turned into cash: it is counted as
 * refunded but forfeited.
 */
import { err, ok, type Result } from './errors.ts';
import { type Cents, MoneyError, max, min, sum } from './money.ts';

export interface CardSource {
  paymentId: string;
  chargeId: string | null;
  /** what the charge took */
  charged: Cents;
  /** what earlier refunds of this order sent back to it */
  refunded: Cents;
}

export interface VoucherSource {
  voucherId: string;
  /** what the order spent of it */
  spent: Cents;
  /** what earlier refunds gave back to it */
  returned: Cents;
  /** what earlier refunds forfeited of it (it had expired) */
  forfeited: Cents;
  /** not expired now: a refund may go back to it */
  valid: boolean;
}

export interface RefundSources {
  /** what the order took from the cash balance (card money included), ≥ 0 */
  cash: Cents;
  /** what earlier refunds gave back to the balance */
  balanceRefunded: Cents;
  /** the order's succeeded card payments, oldest first */
  cards: readonly CardSource[];
  /** the vouchers the order spent, in spending order */
  vouchers: readonly VoucherSource[];
}

export interface CardPart {
  paymentId: string;
  chargeId: string | null;
  amount: Cents;
}

export interface VoucherPart {
  voucherId: string;
  amount: Cents;
  /** the voucher has expired: the part is counted as refunded but not given back */
  forfeited: boolean;
}

export interface RefundPlan {
  /** everything the order took: by card + from the balance + from vouchers */
  paid: Cents;
  paidByCard: Cents;
  paidByBalance: Cents;
  paidByVouchers: Cents;
  alreadyRefunded: Cents;
  /** paid − alreadyRefunded */
  refundable: Cents;
  requested: Cents;
  toCard: Cents;
  cardParts: CardPart[];
  toBalance: Cents;
  toVouchers: VoucherPart[];
  /** the sum of the forfeited voucher parts */
  forfeited: Cents;
  /** refundable − requested: what a later refund may still take */
  remaining: Cents;
  /** the order's payment status once this refund is done */
  resultingPaymentStatus: 'refunded' | 'partially_refunded';
}

function assertCents(n: Cents, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new MoneyError(`${what} must be a non-negative safe integer`);
}

/** Each card's share of the cash, oldest charge first: all together at most the cash. */
function cardShares(s: RefundSources): Cents[] {
  let left = s.cash;
  return s.cards.map((c) => {
    const share = min(c.charged, left);
    left -= share;
    return share;
  });
}

/**
 * Splits `requested` (default: everything refundable) over the sources. `invalid_request` for an
 * amount ≤ 0, `refund_exceeds_paid` for more than is refundable (or nothing left to refund).
 */
export function planRefund(s: RefundSources, requested?: Cents): Result<RefundPlan> {
  assertCents(s.cash, 'cash');
  assertCents(s.balanceRefunded, 'balance refunded');
  for (const c of s.cards) {
    assertCents(c.charged, 'card charged');
    assertCents(c.refunded, 'card refunded');
  }
  for (const v of s.vouchers) {
    assertCents(v.spent, 'voucher spent');
    assertCents(v.returned, 'voucher returned');
    assertCents(v.forfeited, 'voucher forfeited');
  }
  const shares = cardShares(s);
  const paidByCard = sum(shares);
  const paidByBalance = s.cash - paidByCard;
  const paidByVouchers = sum(s.vouchers.map((v) => v.spent));
  const paid = sum([s.cash, paidByVouchers]);
  const cardLeft = s.cards.map((c, i) => max(shares[i]! - c.refunded, 0));
  const balanceLeft = max(paidByBalance - s.balanceRefunded, 0);
  const voucherLeft = s.vouchers.map((v) => max(v.spent - v.returned - v.forfeited, 0));
  const alreadyRefunded = sum([
    ...s.cards.map((c) => c.refunded),
    s.balanceRefunded,
    ...s.vouchers.map((v) => v.returned + v.forfeited),
  ]);
  const refundable = sum([...cardLeft, balanceLeft, ...voucherLeft]);
  const amount = requested ?? refundable;
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    if (requested === undefined) {
      return err('refund_exceeds_paid', 'nothing is left to refund on this order', {
        detail: { refundable_cents: 0 },
      });
    }
    return err('invalid_request', 'amount_usd must be greater than zero', { param: 'amount_usd' });
  }
  if (amount > refundable) {
    return err(
      'refund_exceeds_paid',
      `the refund exceeds what is left to refund: paid ${paid} cents, already refunded ${alreadyRefunded}, refundable ${refundable}`,
      { param: 'amount_usd', detail: { refundable_cents: refundable } },
    );
  }

  let left = amount;
  const take = (available: Cents): Cents => {
    const part = min(available, left);
    left -= part;
    return part;
  };
  const cardParts: CardPart[] = [];
  for (let i = s.cards.length - 1; i >= 0; i--) {
    const part = take(cardLeft[i]!);
    const c = s.cards[i]!;
    if (part > 0) cardParts.push({ paymentId: c.paymentId, chargeId: c.chargeId, amount: part });
  }
  const toBalance = take(balanceLeft);
  const toVouchers: VoucherPart[] = [];
  for (const valid of [true, false]) {
    for (let i = s.vouchers.length - 1; i >= 0; i--) {
      const v = s.vouchers[i]!;
      if (v.valid !== valid) continue;
      const part = take(voucherLeft[i]!);
      if (part > 0) toVouchers.push({ voucherId: v.voucherId, amount: part, forfeited: !valid });
    }
  }
  const remaining = refundable - amount;
  return ok({
    paid,
    paidByCard,
    paidByBalance,
    paidByVouchers,
    alreadyRefunded,
    refundable,
    requested: amount,
    toCard: sum(cardParts.map((p) => p.amount)),
    cardParts,
    toBalance,
    toVouchers,
    forfeited: sum(toVouchers.filter((v) => v.forfeited).map((v) => v.amount)),
    remaining,
    resultingPaymentStatus: remaining === 0 ? 'refunded' : 'partially_refunded',
  });
}

/** An order waiting for stock is refunded in full (and cancelled with it), never in part. */
export function checkWaitingRefund(order: { id: string; status: string }, plan: RefundPlan): Result<void> {
  if (order.status !== 'waiting_inventory' || plan.resultingPaymentStatus === 'refunded')
    return ok(undefined);
  return err(
    'invalid_state',
    `order ${order.id} is waiting for stock: it is refunded in full (which cancels it), not in part`,
    { param: 'amount_usd', detail: { status: order.status } },
  );
}
