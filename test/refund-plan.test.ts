/** The refund plan (src/domain/refund-plan.ts): where a refund goes, pure, with the spec's amounts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planRefund, type RefundPlan, type RefundSources } from '../src/domain/refund-plan.ts';

const RUNS = 10_000;

function plan(s: RefundSources, amount?: number): RefundPlan {
  const r = planRefund(s, amount);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const card = (id: string, charged: number, refunded = 0) => ({
  paymentId: id,
  chargeId: `ch_${id}`,
  charged,
  refunded,
});

const voucher = (id: string, spent: number, valid = true, returned = 0, forfeited = 0) => ({
  voucherId: id,
  spent,
  returned,
  forfeited,
  valid,
});

const none: RefundSources = { cash: 0, balanceRefunded: 0, cards: [], vouchers: [] };

describe('a full refund by default goes back to every source', () => {
  it('balance-paid 225.00: everything back to the balance, resulting refunded', () => {
    const p = plan({ ...none, cash: 22500 });
    expect(p).toMatchObject({
      paid: 22500,
      paidByBalance: 22500,
      paidByCard: 0,
      alreadyRefunded: 0,
      refundable: 22500,
      requested: 22500,
      toBalance: 22500,
      toCard: 0,
      toVouchers: [],
      remaining: 0,
      resultingPaymentStatus: 'refunded',
    });
  });

  it('balance 100.00 + card 125.00 + voucher 20.00: each source gets its own back', () => {
    const p = plan({
      ...none,
      cash: 22500,
      cards: [card('pay_1', 12500)],
      vouchers: [voucher('vch_1', 2000)],
    });
    expect(p).toMatchObject({
      paid: 24500,
      paidByCard: 12500,
      paidByBalance: 10000,
      paidByVouchers: 2000,
      toCard: 12500,
      cardParts: [{ paymentId: 'pay_1', chargeId: 'ch_pay_1', amount: 12500 }],
      toBalance: 10000,
      toVouchers: [{ voucherId: 'vch_1', amount: 2000, forfeited: false }],
      forfeited: 0,
    });
  });

  it('a card charge that also covered 50.00 of arrears: the card part is at most what the order used', () => {
    // −50.00 balance, 225.00 order: the card was charged 275.00, the order used 225.00 of it
    const p = plan({ ...none, cash: 22500, cards: [card('pay_1', 27500)] });
    expect(p).toMatchObject({ paidByCard: 22500, paidByBalance: 0, toCard: 22500, toBalance: 0 });
  });
});

describe('a partial refund goes card first, then balance, then vouchers (the reverse of paying)', () => {
  const s: RefundSources = {
    ...none,
    cash: 22500,
    cards: [card('pay_1', 12500)],
    vouchers: [voucher('vch_1', 2000)],
  };

  it('150.00 of 245.00: 125.00 to the card, 25.00 to the balance, partially_refunded', () => {
    expect(plan(s, 15000)).toMatchObject({
      toCard: 12500,
      toBalance: 2500,
      toVouchers: [],
      remaining: 9500,
      resultingPaymentStatus: 'partially_refunded',
    });
  });

  it('after 150.00 refunded, the rest 95.00: 75.00 to the balance and 20.00 to the voucher', () => {
    const after = { ...s, balanceRefunded: 2500, cards: [card('pay_1', 12500, 12500)] };
    expect(plan(after)).toMatchObject({
      alreadyRefunded: 15000,
      refundable: 9500,
      toCard: 0,
      toBalance: 7500,
      toVouchers: [{ voucherId: 'vch_1', amount: 2000, forfeited: false }],
      resultingPaymentStatus: 'refunded',
    });
  });

  it('newest card charge first', () => {
    const p = plan({ ...none, cash: 3000, cards: [card('pay_old', 1000), card('pay_new', 2000)] }, 2500);
    expect(p.cardParts).toEqual([
      { paymentId: 'pay_new', chargeId: 'ch_pay_new', amount: 2000 },
      { paymentId: 'pay_old', chargeId: 'ch_pay_old', amount: 500 },
    ]);
  });

  it('valid vouchers before expired ones; an expired voucher’s part is forfeited, not turned into cash', () => {
    const vs = { ...none, vouchers: [voucher('vch_expired', 1000, false), voucher('vch_valid', 500)] };
    expect(plan(vs, 800).toVouchers).toEqual([
      { voucherId: 'vch_valid', amount: 500, forfeited: false },
      { voucherId: 'vch_expired', amount: 300, forfeited: true },
    ]);
    const all = plan(vs);
    expect(all).toMatchObject({ forfeited: 1000, toBalance: 0, toCard: 0, requested: 1500 });
  });
});

describe('refused amounts', () => {
  it('more than refundable is 422 refund_exceeds_paid naming amount_usd', () => {
    const r = planRefund({ ...none, cash: 1000, balanceRefunded: 400 }, 601);
    expect(r).toMatchObject({ ok: false, error: { code: 'refund_exceeds_paid', param: 'amount_usd' } });
  });

  it('zero or negative is invalid_request; nothing left to refund is refund_exceeds_paid', () => {
    expect(planRefund({ ...none, cash: 1000 }, 0)).toMatchObject({ error: { code: 'invalid_request' } });
    expect(planRefund({ ...none, cash: 1000 }, -5)).toMatchObject({ error: { code: 'invalid_request' } });
    expect(planRefund({ ...none, cash: 1000, balanceRefunded: 1000 })).toMatchObject({
      error: { code: 'refund_exceeds_paid' },
    });
  });
});

describe('properties (10,000 cases each)', () => {
  const cents = fc.integer({ min: 0, max: 1_000_000 });
  const sourcesArb = fc
    .record({
      cash: cents,
      cards: fc.array(
        fc.record({
          charged: fc.integer({ min: 1, max: 1_000_000 }),
          refundedShare: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { maxLength: 3 },
      ),
      balanceShare: fc.double({ min: 0, max: 1, noNaN: true }),
      vouchers: fc.array(
        fc.record({
          spent: fc.integer({ min: 1, max: 100_000 }),
          valid: fc.boolean(),
          backShare: fc.double({ min: 0, max: 1, noNaN: true }),
          forfeitedShare: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { maxLength: 3 },
      ),
    })
    .map((r): RefundSources => {
      // earlier refunds: some share of each source already went back (a test input, not money math)
      let cashLeft = r.cash;
      const cards = r.cards.map((c, i) => {
        const share = Math.min(c.charged, cashLeft);
        cashLeft -= share;
        return card(`pay_${i}`, c.charged, Math.floor(share * c.refundedShare));
      });
      return {
        cash: r.cash,
        balanceRefunded: Math.floor(cashLeft * r.balanceShare),
        cards,
        vouchers: r.vouchers.map((v, i) => {
          const back = Math.floor(v.spent * v.backShare);
          const forfeited = Math.floor((v.spent - back) * v.forfeitedShare);
          return voucher(`vch_${i}`, v.spent, v.valid, back, forfeited);
        }),
      };
    });
  const withAmount = sourcesArb.chain((s) => {
    const p = planRefund(s);
    const max = p.ok ? p.value.refundable : 0;
    return fc.tuple(
      fc.constant(s),
      max > 0 ? fc.option(fc.integer({ min: 1, max }), { nil: undefined }) : fc.constant(undefined),
    );
  });

  it('the parts add up to the amount, none is negative, and no source gets back more than it gave', () => {
    fc.assert(
      fc.property(withAmount, ([s, amount]) => {
        const r = planRefund(s, amount);
        if (!r.ok) {
          expect(r.error.code).toBe('refund_exceeds_paid');
          return;
        }
        const p = r.value;
        const voucherSum = p.toVouchers.reduce((a, v) => a + v.amount, 0);
        expect(p.toCard + p.toBalance + voucherSum).toBe(p.requested);
        expect(p.cardParts.reduce((a, c) => a + c.amount, 0)).toBe(p.toCard);
        for (const part of [
          ...p.cardParts.map((c) => c.amount),
          p.toBalance,
          ...p.toVouchers.map((v) => v.amount),
        ]) {
          expect(part).toBeGreaterThanOrEqual(0);
        }
        // per source: earlier refunds + this part ≤ what it gave
        let cashLeft = s.cash;
        for (const c of s.cards) {
          const share = Math.min(c.charged, cashLeft);
          cashLeft -= share;
          const part = p.cardParts.find((x) => x.paymentId === c.paymentId)?.amount ?? 0;
          expect(c.refunded + part).toBeLessThanOrEqual(share);
        }
        expect(s.balanceRefunded + p.toBalance).toBeLessThanOrEqual(p.paidByBalance);
        for (const v of s.vouchers) {
          const part = p.toVouchers.find((x) => x.voucherId === v.voucherId);
          expect(v.returned + v.forfeited + (part?.amount ?? 0)).toBeLessThanOrEqual(v.spent);
          if (part) expect(part.forfeited).toBe(!v.valid);
        }
        expect(p.alreadyRefunded + p.refundable).toBe(p.paid);
        expect(p.remaining).toBe(p.refundable - p.requested);
        expect(p.resultingPaymentStatus).toBe(p.remaining === 0 ? 'refunded' : 'partially_refunded');
      }),
      { numRuns: RUNS },
    );
  });

  it('an amount over what is refundable is always refused', () => {
    fc.assert(
      fc.property(sourcesArb, fc.integer({ min: 1, max: 100 }), (s, extra) => {
        const full = planRefund(s);
        if (!full.ok) return;
        expect(planRefund(s, full.value.refundable + extra).ok).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });
});
