import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Result } from './errors.ts';
import {
  allowances,
  freeReplacementsUntil,
  type ReplacementInput,
  refreshDecision,
  replacementDecision,
  replacementQuota,
} from './replacement-quota.ts';

const RUNS = 2_000;
const DAY = 86_400_000;
const PURCHASED = new Date('2026-05-28T10:00:00Z');
const PERIOD_END = new Date('2026-06-28T10:00:00Z');
const at = (days: number) => new Date(PURCHASED.getTime() + days * DAY);

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function input(over: Partial<ReplacementInput>): ReplacementInput {
  return {
    purchasedAt: PURCHASED,
    now: at(15),
    batchSize: 20,
    periodStart: PURCHASED,
    periodEnd: PERIOD_END,
    usedThisPeriod: 0,
    acceptCharge: false,
    ...over,
  };
}

describe('replacementQuota', () => {
  it('is 10% of the batch size rounded up', () => {
    expect(replacementQuota(20)).toBe(2);
    expect(replacementQuota(5)).toBe(1);
    expect(replacementQuota(1)).toBe(1);
    expect(replacementQuota(10)).toBe(1);
    expect(replacementQuota(11)).toBe(2);
    expect(replacementQuota(5000)).toBe(500);
  });

  it('property: equals ceil(size / 10)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        expect(replacementQuota(n)).toBe(Math.ceil(n / 10));
      }),
      { numRuns: RUNS },
    );
  });

  it('throws on a batch size that is not a positive integer (a bug, not an input)', () => {
    expect(() => replacementQuota(0)).toThrow(RangeError);
    expect(() => replacementQuota(2.5)).toThrow(RangeError);
  });
});

describe('replacementDecision', () => {
  it('on day 13 a replacement is free and does not count, however many were made', () => {
    expect(value(replacementDecision(input({ now: at(13), usedThisPeriod: 0 })))).toEqual({
      free: true,
      countsTowardQuota: false,
      quota: 2,
      usedAfter: 0,
      leftAfter: 2,
    });
  });

  it('the free window ends exactly 14 days after purchase', () => {
    expect(freeReplacementsUntil(PURCHASED)).toEqual(new Date('2026-06-11T10:00:00Z'));
    expect(value(replacementDecision(input({ now: new Date(at(14).getTime() - 1) }))).countsTowardQuota).toBe(
      false,
    );
    expect(value(replacementDecision(input({ now: at(14) }))).countsTowardQuota).toBe(true);
  });

  it('on day 15 a batch of 20 has 2 free replacements; the 3rd is replacement_quota_exceeded', () => {
    expect(value(replacementDecision(input({ usedThisPeriod: 0 })))).toEqual({
      free: true,
      countsTowardQuota: true,
      quota: 2,
      usedAfter: 1,
      leftAfter: 1,
    });
    expect(value(replacementDecision(input({ usedThisPeriod: 1 })))).toEqual({
      free: true,
      countsTowardQuota: true,
      quota: 2,
      usedAfter: 2,
      leftAfter: 0,
    });
    const third = replacementDecision(input({ usedThisPeriod: 2 }));
    expect(third).toEqual({
      ok: false,
      error: expect.objectContaining({
        code: 'replacement_quota_exceeded',
        detail: { quota: 2, used: 2, resets_at: '2026-06-28T10:00:00.000Z' },
      }),
    });
  });

  it('with accept_charge the 3rd is charged and does not use the quota', () => {
    expect(value(replacementDecision(input({ usedThisPeriod: 2, acceptCharge: true })))).toEqual({
      free: false,
      countsTowardQuota: false,
      quota: 2,
      usedAfter: 2,
      leftAfter: 0,
    });
  });

  it('accept_charge does not charge a replacement that is free anyway', () => {
    expect(value(replacementDecision(input({ usedThisPeriod: 0, acceptCharge: true }))).free).toBe(true);
    expect(
      value(replacementDecision(input({ now: at(3), usedThisPeriod: 9, acceptCharge: true }))).free,
    ).toBe(true);
  });

  it('a batch of 5 has 1 free replacement per period (rounded up)', () => {
    expect(value(replacementDecision(input({ batchSize: 5 }))).quota).toBe(1);
    const second = replacementDecision(input({ batchSize: 5, usedThisPeriod: 1 }));
    expect(second.ok).toBe(false);
  });

  it('a new period resets: the count of the new period starts at 0', () => {
    // period 2: 2026-06-28 → 2026-07-28; the caller counts only this period's replacements
    const next = input({
      now: new Date('2026-07-01T00:00:00Z'),
      periodStart: PERIOD_END,
      periodEnd: new Date('2026-07-28T10:00:00Z'),
      usedThisPeriod: 0,
    });
    expect(value(replacementDecision(next))).toMatchObject({
      free: true,
      countsTowardQuota: true,
      leftAfter: 1,
    });
  });

  it('property: free and counted while used < quota after day 14; never a negative left', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 0, max: 600 }),
        fc.integer({ min: 0, max: 31 * 24 }),
        fc.boolean(),
        (batchSize, used, hours, acceptCharge) => {
          const now = new Date(PURCHASED.getTime() + hours * 3_600_000);
          const r = replacementDecision(input({ batchSize, usedThisPeriod: used, now, acceptCharge }));
          const quota = Math.ceil(batchSize / 10);
          const inWindow = hours < 14 * 24;
          if (inWindow) {
            expect(value(r)).toMatchObject({ free: true, countsTowardQuota: false, usedAfter: used });
          } else if (used < quota) {
            expect(value(r)).toMatchObject({ free: true, countsTowardQuota: true, usedAfter: used + 1 });
          } else if (acceptCharge) {
            expect(value(r)).toMatchObject({ free: false, countsTowardQuota: false, leftAfter: 0 });
          } else {
            expect(r.ok).toBe(false);
          }
          if (r.ok) {
            expect(r.value.leftAfter).toBeGreaterThanOrEqual(0);
            expect(r.value.quota).toBe(quota);
            expect(r.value.countsTowardQuota).toBe(r.value.usedAfter === used + 1);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('property: a sequence of replacements after day 14 gives exactly quota free ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 100 }), (batchSize, extra) => {
        let used = 0;
        let free = 0;
        const quota = replacementQuota(batchSize);
        for (let i = 0; i < quota + extra; i++) {
          const r = replacementDecision(input({ batchSize, usedThisPeriod: used }));
          if (!r.ok) break;
          if (r.value.free) free++;
          used = r.value.usedAfter;
        }
        expect(free).toBe(quota);
        expect(used).toBe(quota);
      }),
      { numRuns: 500 },
    );
  });
});

describe('allowances', () => {
  it('in the first 14 days replacements are unlimited (left null) until purchase + 14 days', () => {
    expect(
      allowances({
        purchasedAt: PURCHASED,
        now: at(2),
        batchSize: 20,
        periodEnd: PERIOD_END,
        usedThisPeriod: 0,
        refreshUsed: false,
      }),
    ).toEqual({
      replacements_used: 0,
      replacements_left: null,
      replacements_quota: 2,
      unlimited_until: new Date('2026-06-11T10:00:00Z'),
      refresh_used: false,
      resets_at: PERIOD_END,
    });
  });

  it('after day 14 shows used and left of the quota and when they reset', () => {
    expect(
      allowances({
        purchasedAt: PURCHASED,
        now: at(20),
        batchSize: 20,
        periodEnd: PERIOD_END,
        usedThisPeriod: 1,
        refreshUsed: true,
      }),
    ).toEqual({
      replacements_used: 1,
      replacements_left: 1,
      replacements_quota: 2,
      unlimited_until: null,
      refresh_used: true,
      resets_at: PERIOD_END,
    });
  });
});

describe('refreshDecision', () => {
  it('allows one refresh per period, then refresh_limit_reached', () => {
    expect(refreshDecision({ refreshUsedThisPeriod: false, periodEnd: PERIOD_END })).toEqual({
      ok: true,
      value: true,
    });
    const r = refreshDecision({ refreshUsedThisPeriod: true, periodEnd: PERIOD_END });
    expect(r.ok ? null : r.error.code).toBe('refresh_limit_reached');
  });
});
