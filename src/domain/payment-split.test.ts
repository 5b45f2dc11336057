import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MoneyError } from './money.ts';
import { checkBalanceRule, DEFAULT_BALANCE_THRESHOLD, splitPayment } from './payment-split.ts';

const RUNS = 10_000;
const THRESHOLD = 10_000; // 100.00, the spec's default

describe('splitPayment', () => {
  it('pays from the balance when it covers the order', () => {
    expect(splitPayment({ payable: 22500, balance: 100000 })).toEqual({
      fromVoucher: 0,
      fromBalance: 22500,
      fromCard: 0,
      arrearsCovered: 0,
    });
  });

  it('takes vouchers first, then balance, then the card', () => {
    expect(splitPayment({ payable: 22500, balance: 10000, voucherAvailable: 5000 })).toEqual({
      fromVoucher: 5000,
      fromBalance: 10000,
      fromCard: 7500,
      arrearsCovered: 0,
    });
  });

  it('uses only as much voucher as the payable', () => {
    expect(splitPayment({ payable: 3000, balance: 10000, voucherAvailable: 5000 })).toEqual({
      fromVoucher: 3000,
      fromBalance: 0,
      fromCard: 0,
      arrearsCovered: 0,
    });
  });

  it('charges the card for everything with a zero balance', () => {
    expect(splitPayment({ payable: 12000, balance: 0 })).toEqual({
      fromVoucher: 0,
      fromBalance: 0,
      fromCard: 12000,
      arrearsCovered: 0,
    });
  });

  it('makes the card cover arrears too', () => {
    expect(splitPayment({ payable: 12000, balance: -2500 })).toEqual({
      fromVoucher: 0,
      fromBalance: 0,
      fromCard: 14500,
      arrearsCovered: 2500,
    });
    // vouchers pay the order, never the arrears
    expect(splitPayment({ payable: 12000, balance: -2500, voucherAvailable: 20000 })).toEqual({
      fromVoucher: 12000,
      fromBalance: 0,
      fromCard: 2500,
      arrearsCovered: 2500,
    });
  });

  it('a zero payable takes nothing, except arrears', () => {
    expect(splitPayment({ payable: 0, balance: 500, voucherAvailable: 100 })).toEqual({
      fromVoucher: 0,
      fromBalance: 0,
      fromCard: 0,
      arrearsCovered: 0,
    });
    expect(splitPayment({ payable: 0, balance: -500 }).fromCard).toBe(500);
  });

  it('refuses bad amounts (bugs, not user errors)', () => {
    expect(() => splitPayment({ payable: -1, balance: 0 })).toThrow(MoneyError);
    expect(() => splitPayment({ payable: 1.5, balance: 0 })).toThrow(MoneyError);
    expect(() => splitPayment({ payable: 100, balance: 0, voucherAvailable: -1 })).toThrow(MoneyError);
    expect(() => splitPayment({ payable: 100, balance: 0.5 })).toThrow(MoneyError);
  });

  const amounts = fc.integer({ min: 0, max: 1_000_000_000_000 });
  const balances = fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 });

  it('no cent appears or vanishes, and the order of sources holds (property)', () => {
    fc.assert(
      fc.property(amounts, balances, fc.option(amounts, { nil: undefined }), (payable, balance, voucher) => {
        const s =
          voucher === undefined
            ? splitPayment({ payable, balance })
            : splitPayment({ payable, balance, voucherAvailable: voucher });
        const v = voucher ?? 0;
        const balanceAfter = balance - s.fromBalance + s.arrearsCovered;
        return (
          s.fromVoucher + s.fromBalance + s.fromCard === payable + s.arrearsCovered &&
          s.fromVoucher >= 0 &&
          s.fromBalance >= 0 &&
          s.fromCard >= 0 &&
          s.arrearsCovered >= 0 &&
          s.fromVoucher <= v &&
          s.fromBalance <= Math.max(balance, 0) &&
          s.arrearsCovered === Math.max(-balance, 0) &&
          balanceAfter >= 0 &&
          // a later source is used only once the earlier ones are exhausted
          (s.fromBalance === 0 || s.fromVoucher === Math.min(v, payable)) &&
          (s.fromCard - s.arrearsCovered === 0 ||
            (s.fromVoucher === Math.min(v, payable) && s.fromBalance === Math.max(balance, 0)))
        );
      }),
      { numRuns: RUNS },
    );
  });
});

describe('checkBalanceRule', () => {
  const base = { usableVouchers: 0, threshold: THRESHOLD };

  it('uses the spec default threshold of 100.00', () => {
    expect(DEFAULT_BALANCE_THRESHOLD).toBe(10_000);
  });

  it('prepaid is always allowed (the payment covers arrears)', () => {
    expect(checkBalanceRule({ ...base, paymentMode: 'prepaid', balance: -50000 })).toEqual({
      ok: true,
      value: undefined,
    });
    expect(checkBalanceRule({ ...base, paymentMode: 'prepaid', balance: 0 }).ok).toBe(true);
  });

  it('postpaid monthly needs the arrears cleared', () => {
    const r = checkBalanceRule({ ...base, paymentMode: 'postpaid', settlement: 'monthly', balance: -1 });
    expect(!r.ok && r.error.code).toBe('arrears_outstanding');
    expect(checkBalanceRule({ ...base, paymentMode: 'postpaid', settlement: 'monthly', balance: 0 }).ok).toBe(
      true,
    );
    // no threshold for monthly, even periodic
    expect(
      checkBalanceRule({
        ...base,
        paymentMode: 'postpaid',
        settlement: 'monthly',
        configuration: 'periodic',
        balance: 0,
      }).ok,
    ).toBe(true);
  });

  it('postpaid without a settlement is treated as monthly', () => {
    const r = checkBalanceRule({ ...base, paymentMode: 'postpaid', balance: -100 });
    expect(!r.ok && r.error.code).toBe('arrears_outstanding');
    expect(
      checkBalanceRule({ ...base, paymentMode: 'postpaid', configuration: 'periodic', balance: 0 }).ok,
    ).toBe(true);
  });

  for (const settlement of ['hourly', 'daily'] as const) {
    describe(`postpaid ${settlement}`, () => {
      it('refuses arrears whatever the configuration', () => {
        for (const configuration of ['metered', 'periodic', undefined] as const) {
          const r = checkBalanceRule({
            ...base,
            paymentMode: 'postpaid',
            settlement,
            ...(configuration ? { configuration } : {}),
            balance: -1,
            usableVouchers: 1_000_000,
          });
          expect(!r.ok && r.error.code, String(configuration)).toBe('arrears_outstanding');
        }
      });

      it('metered needs nothing more', () => {
        expect(
          checkBalanceRule({
            ...base,
            paymentMode: 'postpaid',
            settlement,
            configuration: 'metered',
            balance: 0,
          }).ok,
        ).toBe(true);
      });

      it('periodic needs balance + usable vouchers ≥ 100.00', () => {
        const check = (balance: number, usableVouchers: number) =>
          checkBalanceRule({
            paymentMode: 'postpaid',
            settlement,
            configuration: 'periodic',
            balance,
            usableVouchers,
            threshold: THRESHOLD,
          });
        expect(check(10000, 0).ok).toBe(true);
        expect(check(6000, 4000).ok).toBe(true);
        expect(check(0, 10000).ok).toBe(true);
        const r = check(9999, 0);
        expect(!r.ok && r.error.code).toBe('balance_below_threshold');
        const r2 = check(5000, 4999);
        expect(!r2.ok && r2.error.code).toBe('balance_below_threshold');
        expect(check(0, 0).ok).toBe(false);
      });
    });
  }

  it('matches the rules for every combination (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('prepaid' as const, 'postpaid' as const),
        fc.constantFrom('monthly' as const, 'daily' as const, 'hourly' as const),
        fc.constantFrom('metered' as const, 'periodic' as const),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (paymentMode, settlement, configuration, balance, usableVouchers) => {
          const r = checkBalanceRule({
            paymentMode,
            settlement,
            configuration,
            balance,
            usableVouchers,
            threshold: THRESHOLD,
          });
          let expected: string | null = null;
          if (paymentMode === 'postpaid') {
            if (balance < 0) expected = 'arrears_outstanding';
            else if (
              settlement !== 'monthly' &&
              configuration === 'periodic' &&
              balance + usableVouchers < THRESHOLD
            )
              expected = 'balance_below_threshold';
          }
          return expected === null ? r.ok : !r.ok && r.error.code === expected;
        },
      ),
      { numRuns: RUNS },
    );
  });
});
