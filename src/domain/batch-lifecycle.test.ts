import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  autoRenewAt,
  autoRenewDueUntil,
  BATCH_STATUSES,
  type BatchStatus,
  batchMove,
  batchTransitions,
  canRenew,
  currentPeriod,
  dueLifecycleAction,
  expiresAt,
  GRACE_HOURS,
  graceUntil,
  reminderDueWindow,
  reminderTimes,
  renewedExpiry,
  transitionBatch,
  wholeMonthsBetween,
} from './batch-lifecycle.ts';
import { isTerminal } from './order-states.ts';

const RUNS = 2_000;
const d = (s: string) => new Date(s);
const iso = (x: Date) => x.toISOString();

describe('batchTransitions', () => {
  const allowed: [BatchStatus, BatchStatus][] = [
    ['waiting_inventory', 'provisioning'],
    ['waiting_inventory', 'released'],
    ['provisioning', 'ready'],
    ['provisioning', 'released'],
    ['ready', 'expired'],
    ['ready', 'released'],
    ['ready', 'ready'],
    ['expired', 'ready'],
    ['expired', 'released'],
  ];

  it('allows exactly the moves of the lifecycle', () => {
    for (const from of BATCH_STATUSES) {
      for (const to of BATCH_STATUSES) {
        const expected = allowed.some(([f, t]) => f === from && t === to);
        expect(transitionBatch(from, to).ok, `${from} → ${to}`).toBe(expected);
      }
    }
  });

  it('refuses an illegal move with invalid_state', () => {
    expect(transitionBatch('released', 'ready')).toEqual({
      ok: false,
      error: expect.objectContaining({ code: 'invalid_state', detail: { from: 'released', to: 'ready' } }),
    });
  });

  it('released is the only terminal status', () => {
    expect(BATCH_STATUSES.filter((s) => isTerminal(batchTransitions, s))).toEqual(['released']);
  });
});

describe('addMonths', () => {
  it('one month on from the seed order: 2026-05-28T10:00:00Z → 2026-06-28T10:00:00Z', () => {
    expect(iso(addMonths(d('2026-05-28T10:00:00Z'), 1))).toBe('2026-06-28T10:00:00.000Z');
    expect(iso(expiresAt(d('2026-05-28T10:00:00Z'), 1))).toBe('2026-06-28T10:00:00.000Z');
  });

  it('clamps to the end of a shorter month', () => {
    expect(iso(addMonths(d('2026-01-31T12:34:56.789Z'), 1))).toBe('2026-02-28T12:34:56.789Z');
    expect(iso(addMonths(d('2028-01-31T00:00:00Z'), 1))).toBe('2028-02-29T00:00:00.000Z');
    expect(iso(addMonths(d('2026-03-31T00:00:00Z'), 1))).toBe('2026-04-30T00:00:00.000Z');
    expect(iso(addMonths(d('2028-02-29T00:00:00Z'), 12))).toBe('2029-02-28T00:00:00.000Z');
  });

  it('crosses years both ways', () => {
    expect(iso(addMonths(d('2026-12-15T00:00:00Z'), 1))).toBe('2027-01-15T00:00:00.000Z');
    expect(iso(addMonths(d('2026-05-28T10:00:00Z'), 12))).toBe('2027-05-28T10:00:00.000Z');
    expect(iso(addMonths(d('2026-01-15T00:00:00Z'), -1))).toBe('2025-12-15T00:00:00.000Z');
    expect(iso(addMonths(d('2026-03-31T00:00:00Z'), -1))).toBe('2026-02-28T00:00:00.000Z');
  });

  it('does not change its argument and refuses invalid input', () => {
    const x = d('2026-01-31T00:00:00Z');
    addMonths(x, 1);
    expect(iso(x)).toBe('2026-01-31T00:00:00.000Z');
    expect(() => addMonths(new Date(Number.NaN), 1)).toThrow(RangeError);
    expect(() => addMonths(x, 1.5)).toThrow(RangeError);
  });

  const dateArb = fc.date({
    min: d('1990-01-01T00:00:00Z'),
    max: d('2100-12-31T00:00:00Z'),
    noInvalidDate: true,
  });

  it('property: keeps the time of day, lands in the right month, on the same or an earlier (clamped) day', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -240, max: 240 }), (x, m) => {
        const y = addMonths(x, m);
        const timeOfDay = (t: Date) => t.toISOString().slice(10);
        expect(timeOfDay(y)).toBe(timeOfDay(x));
        expect(y.getUTCFullYear() * 12 + y.getUTCMonth()).toBe(x.getUTCFullYear() * 12 + x.getUTCMonth() + m);
        expect(y.getUTCDate()).toBeLessThanOrEqual(x.getUTCDate());
        if (y.getUTCDate() < x.getUTCDate()) {
          // clamped: the last day of its month
          expect(new Date(y.getTime() + 86_400_000).getUTCDate()).toBe(1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('property: strictly increasing in months', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -120, max: 120 }), (x, m) => {
        expect(addMonths(x, m + 1).getTime()).toBeGreaterThan(addMonths(x, m).getTime());
      }),
      { numRuns: RUNS },
    );
  });

  it('property: wholeMonthsBetween inverts addMonths', () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 240 }), (x, m) => {
        expect(wholeMonthsBetween(x, addMonths(x, m))).toBe(m);
        expect(wholeMonthsBetween(x, new Date(addMonths(x, m + 1).getTime() - 1))).toBe(m);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('renewedExpiry', () => {
  it('continues from the current expiry', () => {
    expect(iso(renewedExpiry(d('2026-06-28T10:00:00Z'), 1))).toBe('2026-07-28T10:00:00.000Z');
    expect(iso(renewedExpiry(d('2026-06-28T10:00:00Z'), 12))).toBe('2027-06-28T10:00:00.000Z');
  });

  it('with the anchor, month-end clamping does not drift: Jan 31 → Feb 28 → Mar 31', () => {
    const anchor = d('2026-01-31T09:00:00Z');
    const feb = expiresAt(anchor, 1);
    expect(iso(feb)).toBe('2026-02-28T09:00:00.000Z');
    expect(iso(renewedExpiry(feb, 1))).toBe('2026-03-28T09:00:00.000Z');
    expect(iso(renewedExpiry(feb, 1, anchor))).toBe('2026-03-31T09:00:00.000Z');
  });
});

describe('grace, reminders, auto-renewal', () => {
  const exp = d('2026-06-28T10:00:00Z');

  it('grace is 72 hours after expiry', () => {
    expect(GRACE_HOURS).toBe(72);
    expect(iso(graceUntil(exp))).toBe('2026-07-01T10:00:00.000Z');
    expect(iso(graceUntil(exp, 24))).toBe('2026-06-29T10:00:00.000Z');
  });

  it('reminders go out 7 days and 1 day before', () => {
    expect(reminderTimes(exp).map((r) => [r.daysBefore, iso(r.at)])).toEqual([
      [7, '2026-06-21T10:00:00.000Z'],
      [1, '2026-06-27T10:00:00.000Z'],
    ]);
  });

  it('auto-renewal is charged a day before', () => {
    expect(iso(autoRenewAt(exp))).toBe('2026-06-27T10:00:00.000Z');
  });

  it('a ready batch can be renewed; an expired one only before its grace ends; others never', () => {
    const grace = graceUntil(exp);
    expect(canRenew('ready', d('2026-06-01T00:00:00Z'), null)).toBe(true);
    expect(canRenew('expired', d('2026-06-30T10:00:00Z'), grace)).toBe(true);
    expect(canRenew('expired', new Date(grace.getTime() - 1), grace)).toBe(true);
    expect(canRenew('expired', grace, grace)).toBe(false);
    expect(canRenew('expired', d('2026-06-30T10:00:00Z'), null)).toBe(false);
    for (const s of ['waiting_inventory', 'provisioning', 'released'] as const) {
      expect(canRenew(s, d('2026-06-01T00:00:00Z'), grace)).toBe(false);
    }
  });

  it('the sweeper expires a ready batch at its expiry and releases an expired one at grace end', () => {
    const grace = graceUntil(exp);
    expect(dueLifecycleAction('ready', new Date(exp.getTime() - 1), exp, null)).toBeNull();
    expect(dueLifecycleAction('ready', exp, exp, null)).toBe('expire');
    expect(dueLifecycleAction('expired', new Date(grace.getTime() - 1), exp, grace)).toBeNull();
    expect(dueLifecycleAction('expired', grace, exp, grace)).toBe('release');
    expect(dueLifecycleAction('provisioning', grace, exp, grace)).toBeNull();
    expect(dueLifecycleAction('released', grace, exp, grace)).toBeNull();
  });
});

describe('currentPeriod', () => {
  const start = d('2026-01-31T10:00:00Z');

  it('is one month (or twelve) from its start', () => {
    expect(currentPeriod(start, 1)).toEqual({ start, end: d('2026-02-28T10:00:00Z') });
    expect(currentPeriod(start, 12)).toEqual({ start, end: d('2027-01-31T10:00:00Z') });
  });

  it('with now, finds the period of the grid that contains it', () => {
    expect(currentPeriod(start, 1, d('2026-01-31T10:00:00Z'))).toEqual({
      start,
      end: d('2026-02-28T10:00:00Z'),
    });
    expect(currentPeriod(start, 1, d('2026-03-15T00:00:00Z'))).toEqual({
      start: d('2026-02-28T10:00:00Z'),
      end: d('2026-03-31T10:00:00Z'),
    });
    expect(currentPeriod(start, 1, d('2026-03-31T10:00:00Z'))).toEqual({
      start: d('2026-03-31T10:00:00Z'),
      end: d('2026-04-30T10:00:00Z'),
    });
    expect(currentPeriod(start, 12, d('2027-06-01T00:00:00Z'))).toEqual({
      start: d('2027-01-31T10:00:00Z'),
      end: d('2028-01-31T10:00:00Z'),
    });
    // before the start: the first period
    expect(currentPeriod(start, 1, d('2025-12-01T00:00:00Z')).start).toEqual(start);
  });

  it('property: start ≤ now < end for any now after the start', () => {
    fc.assert(
      fc.property(
        fc.date({ min: d('2000-01-01T00:00:00Z'), max: d('2090-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: 0, max: 10 * 366 * 24 * 3600 }),
        fc.constantFrom(1, 12),
        (s, seconds, months) => {
          const now = new Date(s.getTime() + seconds * 1000);
          const p = currentPeriod(s, months, now);
          expect(p.start.getTime()).toBeLessThanOrEqual(now.getTime());
          expect(p.end.getTime()).toBeGreaterThan(now.getTime());
          expect(wholeMonthsBetween(s, p.start) % months).toBe(0);
          expect(p.end).toEqual(addMonths(s, wholeMonthsBetween(s, p.start) + months));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('batchMove', () => {
  it('builds the moves the table allows', () => {
    expect(batchMove(['ready', 'expired'], 'ready')).toEqual({ from: ['ready', 'expired'], to: 'ready' });
    expect(batchMove(['ready', 'expired', 'provisioning'], 'released').from).toHaveLength(3);
  });

  it('throws (a bug) for a move the table refuses, or one from no state', () => {
    expect(() => batchMove(['released'], 'ready')).toThrow(/cannot move batch from released to ready/);
    expect(() => batchMove(['waiting_inventory'], 'ready')).toThrow();
    expect(() => batchMove([], 'ready')).toThrow();
  });
});

describe('the sweeper windows agree with reminderTimes and autoRenewAt', () => {
  const date = fc.date({
    min: d('2020-01-01T00:00:00Z'),
    max: d('2040-01-01T00:00:00Z'),
    noInvalidDate: true,
  });

  it('a reminder is due in its window exactly from its time until the next reminder is due', () => {
    fc.assert(
      fc.property(date, date, (now, expiry) => {
        const [r7, r1] = reminderTimes(expiry);
        const inWindow = (days: 7 | 1) => {
          const w = reminderDueWindow(days, now);
          return expiry > w.after && expiry <= w.until;
        };
        const t = now.getTime();
        expect(inWindow(1)).toBe(r1!.at.getTime() <= t && t < expiry.getTime());
        expect(inWindow(7)).toBe(r7!.at.getTime() <= t && t < r1!.at.getTime());
      }),
      { numRuns: RUNS },
    );
  });

  it('an auto-renewal is due when autoRenewAt(expiry) ≤ now', () => {
    fc.assert(
      fc.property(date, date, (now, expiry) => {
        expect(expiry <= autoRenewDueUntil(now)).toBe(autoRenewAt(expiry) <= now);
      }),
      { numRuns: RUNS },
    );
  });
});
