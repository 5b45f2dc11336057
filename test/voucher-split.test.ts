/** Vouchers applied to an order, pure (SPEC §5, the billing-center document). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderTotals } from '../src/domain/order.ts';
import { applyVoucherToLines, splitVoucher, takeVouchers } from '../src/domain/voucher-split.ts';

const RUNS = 10_000;

const line = (original: number, discount = 0) => ({
  original,
  discount,
  voucher: 0,
  payable: original - discount,
  paid: 0,
});

describe('the voucher deduction is split over line items by largest remainder', () => {
  it('10.00 off three lines of 10.00 → 3.34, 3.33, 3.33', () => {
    expect(splitVoucher(1000, [line(1000), line(1000), line(1000)])).toEqual([334, 333, 333]);
  });

  it('in proportion to original − discount: 30.00 off lines worth 100.00 − 20.00 and 40.00 → 20.00 and 10.00', () => {
    expect(splitVoucher(3000, [line(10000, 2000), line(4000)])).toEqual([2000, 1000]);
  });

  it('payable = original − discount − voucher on each line, and the order totals are the sums of its lines', () => {
    const { lines, totals } = applyVoucherToLines([line(1000), line(1000), line(1000)], 1000, { paid: true });
    expect(lines.map((l) => [l.voucher, l.payable, l.paid])).toEqual([
      [334, 666, 666],
      [333, 667, 667],
      [333, 667, 667],
    ]);
    expect(totals).toEqual({ original: 3000, discount: 0, voucher: 1000, payable: 2000, paid: 2000 });
    expect(totals).toEqual(orderTotals(lines));
  });

  it('an unpaid order shows the deduction with nothing paid', () => {
    const { totals } = applyVoucherToLines([line(22500)], 1000, { paid: false });
    expect(totals).toEqual({ original: 22500, discount: 0, voucher: 1000, payable: 21500, paid: 0 });
  });

  it('no voucher: every line keeps its amount; a deduction above the lines is refused', () => {
    expect(splitVoucher(0, [line(0), line(500)])).toEqual([0, 0]);
    expect(() => splitVoucher(501, [line(500)])).toThrow(RangeError);
    expect(() => splitVoucher(-1, [line(500)])).toThrow(RangeError);
  });

  const lineLists = fc.array(
    fc
      .tuple(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 100 }))
      .map(([o, pct]) => line(o, Math.floor((o * pct) / 100))),
    { minLength: 1, maxLength: 12 },
  );
  const withTotal = lineLists.chain((ls) => {
    const room = ls.reduce((a, l) => a + l.original - l.discount, 0);
    return fc.tuple(fc.constant(ls), fc.integer({ min: 0, max: room }));
  });

  it('the split never gains or loses a cent (property, 10,000 cases)', () => {
    fc.assert(
      fc.property(withTotal, ([ls, total]) => splitVoucher(total, ls).reduce((a, b) => a + b, 0) === total),
      { numRuns: RUNS },
    );
  });

  it('no line goes negative and no line gets more than its amount (property, 10,000 cases)', () => {
    fc.assert(
      fc.property(withTotal, ([ls, total]) => {
        const { lines, totals } = applyVoucherToLines(ls, total, { paid: true });
        return (
          lines.every(
            (l, i) =>
              l.voucher >= 0 &&
              l.voucher <= ls[i]!.original - ls[i]!.discount &&
              l.payable >= 0 &&
              l.payable === l.original - l.discount - l.voucher,
          ) &&
          totals.voucher === total &&
          totals.payable === totals.original - totals.discount - total
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('vouchers are taken in the order named, each min(its remaining, what is still payable)', () => {
  it('5.00 and 20.00 on a 22.50 order take 5.00 and 17.50; a third takes nothing', () => {
    expect(
      takeVouchers(2250, [
        { id: 'a', remaining: 500 },
        { id: 'b', remaining: 2000 },
        { id: 'c', remaining: 100 },
      ]),
    ).toEqual([
      { id: 'a', amount: 500 },
      { id: 'b', amount: 1750 },
      { id: 'c', amount: 0 },
    ]);
  });

  it('takes never exceed the payable nor a voucher’s remaining (property, 10,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { maxLength: 10 }),
        (payable, remaining) => {
          const takes = takeVouchers(
            payable,
            remaining.map((r, i) => ({ id: String(i), remaining: r })),
          );
          const total = takes.reduce((a, t) => a + t.amount, 0);
          return (
            takes.every((t, i) => t.amount >= 0 && t.amount <= remaining[i]!) &&
            total ===
              Math.min(
                payable,
                remaining.reduce((a, b) => a + b, 0),
              )
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});
