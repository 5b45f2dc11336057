import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATIONS,
  type Configuration,
  PAYMENT_MODES,
  type PaymentMode,
  SETTLEMENTS,
  type Settlement,
} from './billing-attributes.ts';
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
  it('uses the spec default threshold of 100.00', () => {
    expect(DEFAULT_BALANCE_THRESHOLD).toBe(10_000);
  });

  type Outcome = 'ok' | 'ok+arrears' | 'arrears_outstanding' | 'balance_below_threshold';
  type Level = 'below' | 'at' | 'above';
  const LEVELS: Record<Level, number> = { below: THRESHOLD - 1, at: THRESHOLD, above: THRESHOLD + 1 };
  const ARREARS = 5_000; // 50.00

  /**
   * Every (mode, cycle, configuration) with its outcome for balance + usable vouchers below / at /
   * above the threshold, first with no arrears, then with 50.00 of arrears. SPEC §5: prepaid is
   * ok and the payment covers the arrears; postpaid refuses arrears; postpaid hourly or daily with
   * a periodic configuration also needs balance + vouchers ≥ the threshold.
   */
  const B = 'balance_below_threshold';
  const A = 'arrears_outstanding';
  const TABLE: [
    PaymentMode,
    Settlement,
    Configuration,
    [Outcome, Outcome, Outcome],
    [Outcome, Outcome, Outcome],
  ][] = [
    // mode, cycle, configuration, [no arrears: below, at, above], [50.00 arrears: below, at, above]
    ['prepaid', 'monthly', 'metered', ['ok', 'ok', 'ok'], ['ok+arrears', 'ok+arrears', 'ok+arrears']],
    ['prepaid', 'monthly', 'periodic', ['ok', 'ok', 'ok'], ['ok+arrears', 'ok+arrears', 'ok+arrears']],
    ['prepaid', 'daily', 'metered', ['ok', 'ok', 'ok'], ['ok+arrears', 'ok+arrears', 'ok+arrears']],
    ['prepaid', 'daily', 'periodic', ['ok', 'ok', 'ok'], ['ok+arrears', 'ok+arrears', 'ok+arrears']],
    ['prepaid', 'hourly', 'metered', ['ok', 'ok', 'ok'], ['ok+arrears', 'ok+arrears', 'ok+arrears']],
    ['prepaid', 'hourly', 'periodic', ['ok', 'ok', 'ok'], ['ok+arrears', 'ok+arrears', 'ok+arrears']],
    ['postpaid', 'monthly', 'metered', ['ok', 'ok', 'ok'], [A, A, A]],
    ['postpaid', 'monthly', 'periodic', ['ok', 'ok', 'ok'], [A, A, A]],
    ['postpaid', 'daily', 'metered', ['ok', 'ok', 'ok'], [A, A, A]],
    ['postpaid', 'daily', 'periodic', [B, 'ok', 'ok'], [A, A, A]],
    ['postpaid', 'hourly', 'metered', ['ok', 'ok', 'ok'], [A, A, A]],
    ['postpaid', 'hourly', 'periodic', [B, 'ok', 'ok'], [A, A, A]],
  ];

  it('the table covers every (mode, cycle, configuration) once', () => {
    const keys = new Set(TABLE.map(([m, s, c]) => `${m}/${s}/${c}`));
    expect(keys.size).toBe(PAYMENT_MODES.length * SETTLEMENTS.length * CONFIGURATIONS.length);
  });

  /** The attributes of a row: prepaid carries no cycle or configuration (they do not apply). */
  const attributesOf = (mode: PaymentMode, settlement: Settlement, configuration: Configuration) =>
    mode === 'prepaid'
      ? ({ paymentMode: 'prepaid' } as const)
      : ({ paymentMode: 'postpaid', settlement, configuration } as const);

  const cases = TABLE.flatMap(([mode, settlement, configuration, clear, owing]) =>
    (['below', 'at', 'above'] as const).flatMap((level, i) => [
      // with no arrears, the level is reached by the balance alone, balance and vouchers, vouchers alone
      ...(
        [
          ['balance only', LEVELS[level], 0],
          ['balance + vouchers', 6_000, LEVELS[level] - 6_000],
          ['vouchers only', 0, LEVELS[level]],
        ] as const
      ).map(
        ([mix, balance, vouchers]) =>
          [mode, settlement, configuration, 'none', level, mix, balance, vouchers, clear[i]!] as const,
      ),
      // with arrears the balance is −50.00 and the usable vouchers are at the level
      [
        mode,
        settlement,
        configuration,
        'some',
        level,
        'vouchers',
        -ARREARS,
        LEVELS[level],
        owing[i]!,
      ] as const,
    ]),
  );

  it('has every combination: 2 modes × 3 cycles × 2 configurations × 2 arrears × 3 levels', () => {
    const combos = new Set(cases.map((c) => c.slice(0, 5).join('/')));
    expect(combos.size).toBe(2 * 3 * 2 * 2 * 3);
  });

  it.each(cases)(
    '%s %s %s, arrears %s, balance + vouchers %s the threshold (%s: %i + %i) → %s',
    (mode, settlement, configuration, _arrears, _level, _mix, balance, usableVouchers, expected) => {
      const r = checkBalanceRule({
        ...attributesOf(mode, settlement, configuration),
        balance,
        usableVouchers,
        threshold: THRESHOLD,
      });
      switch (expected) {
        case 'ok':
          expect(r).toEqual({ ok: true, value: { arrearsToCover: 0 } });
          break;
        case 'ok+arrears':
          // the prepaid payment covers the arrears too, exactly what splitPayment charges the card
          expect(r).toEqual({ ok: true, value: { arrearsToCover: ARREARS } });
          expect(
            splitPayment({ payable: 22_500, balance, voucherAvailable: usableVouchers }).arrearsCovered,
          ).toBe(ARREARS);
          break;
        case 'arrears_outstanding':
          expect(r).toMatchObject({
            ok: false,
            error: { code: 'arrears_outstanding', detail: { arrears_cents: ARREARS } },
          });
          break;
        case 'balance_below_threshold':
          expect(r).toMatchObject({
            ok: false,
            error: {
              code: 'balance_below_threshold',
              detail: { available_cents: balance + usableVouchers, threshold_cents: THRESHOLD },
            },
          });
          break;
      }
    },
  );

  it('the threshold is an argument (configurable): 0 lets a periodic hourly order through at 0.00', () => {
    const hourly = { paymentMode: 'postpaid', settlement: 'hourly', configuration: 'periodic' } as const;
    expect(checkBalanceRule({ ...hourly, balance: 0, usableVouchers: 0, threshold: 0 }).ok).toBe(true);
    expect(checkBalanceRule({ ...hourly, balance: 49_999, usableVouchers: 0, threshold: 50_000 }).ok).toBe(
      false,
    );
  });

  it('refuses malformed amounts (bugs throw)', () => {
    const prepaid = { paymentMode: 'prepaid' } as const;
    expect(() =>
      checkBalanceRule({ ...prepaid, balance: 0.5, usableVouchers: 0, threshold: THRESHOLD }),
    ).toThrow(MoneyError);
    expect(() =>
      checkBalanceRule({ ...prepaid, balance: 0, usableVouchers: -1, threshold: THRESHOLD }),
    ).toThrow(MoneyError);
    expect(() => checkBalanceRule({ ...prepaid, balance: 0, usableVouchers: 0, threshold: -1 })).toThrow(
      MoneyError,
    );
  });

  it('matches the rules for any amounts (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...PAYMENT_MODES),
        fc.constantFrom(...SETTLEMENTS),
        fc.constantFrom(...CONFIGURATIONS),
        fc.integer({ min: -100_000, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        (mode, settlement, configuration, balance, usableVouchers, threshold) => {
          const r = checkBalanceRule({
            ...attributesOf(mode, settlement, configuration),
            balance,
            usableVouchers,
            threshold,
          });
          let expected: string | null = null;
          if (mode === 'postpaid') {
            if (balance < 0) expected = 'arrears_outstanding';
            else if (
              settlement !== 'monthly' &&
              configuration === 'periodic' &&
              balance + usableVouchers < threshold
            )
              expected = 'balance_below_threshold';
          }
          if (expected !== null) return !r.ok && r.error.code === expected;
          const arrears = mode === 'prepaid' ? splitPayment({ payable: 0, balance }).arrearsCovered : 0;
          return r.ok && r.value.arrearsToCover === arrears;
        },
      ),
      { numRuns: RUNS },
    );
  });
});
