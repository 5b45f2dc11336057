/**
 * ISP batch lifecycle (SPEC §6): the batch state machine as a table, calendar months in UTC,
 * expiry, grace, reminders and auto-renewal times, billing periods. Pure: `now` comes in.
 */
import type { Result } from './errors.ts';
import { transition } from './order-states.ts';

export const BATCH_STATUSES = ['waiting_inventory', 'provisioning', 'ready', 'expired', 'released'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * - waiting_inventory → provisioning (stock arrived) | released (cancelled, full refund)
 * - provisioning → ready | released
 * - ready → expired | released | ready (renewed)
 * - expired → ready (renewed within the grace period, same IPs) | released (grace over)
 * - released: terminal, the IPs are back in stock.
 */
export const batchTransitions: Record<BatchStatus, readonly BatchStatus[]> = {
  waiting_inventory: ['provisioning', 'released'],
  provisioning: ['ready', 'released'],
  ready: ['expired', 'released', 'ready'],
  expired: ['ready', 'released'],
  released: [],
};

export function transitionBatch(from: BatchStatus, to: BatchStatus): Result<BatchStatus> {
  return transition(batchTransitions, from, to, 'batch');
}

/**
 * A batch status change as db/ writes it: `SET status = to WHERE status = ANY(from)`. Every batch
 * status change is one of these, so every one is checked against batchTransitions.
 */
export interface BatchMove {
  readonly from: readonly BatchStatus[];
  readonly to: BatchStatus;
}

/**
 * The move from any of `from` to `to`. The moves are fixed in the code (no input chooses them),
 * so one the table does not allow is a bug: it throws a plain Error, not a domain failure.
 */
export function batchMove(from: readonly BatchStatus[], to: BatchStatus): BatchMove {
  if (from.length === 0) throw new Error(`a batch move to ${to} needs a state to move from`);
  for (const f of from) {
    const m = transitionBatch(f, to);
    if (!m.ok) throw new Error(m.error.message);
  }
  return { from: [...from], to };
}

/** Hours an expired batch keeps its IPs and may still be renewed. */
export const GRACE_HOURS = 72;
/** Reminder emails go out this many days before expiry (longest lead first). */
export const REMINDER_DAYS = [7, 1] as const;
export type ReminderDays = (typeof REMINDER_DAYS)[number];
/** Auto-renewal is charged this many hours before expiry. */
export const AUTO_RENEW_HOURS_BEFORE = 24;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

function ms(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${what} is not a valid date`);
  return t;
}

function daysInMonth(year: number, month0: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month0 + 1, 0);
  return d.getUTCDate();
}

/**
 * `date` plus `months` calendar months in UTC, keeping the time of day; a day that does not exist
 * in the target month is clamped to its last day (Jan 31 + 1 month = Feb 28, or 29 in a leap
 * year). 2026-05-28T10:00:00Z + 1 = 2026-06-28T10:00:00Z.
 */
export function addMonths(date: Date, months: number): Date {
  const t = ms(date, 'date');
  if (!Number.isSafeInteger(months)) throw new RangeError(`months must be an integer, got ${months}`);
  const d = new Date(t);
  const total = d.getUTCFullYear() * 12 + d.getUTCMonth() + months;
  const year = Math.floor(total / 12);
  const month0 = total - year * 12;
  const day = Math.min(d.getUTCDate(), daysInMonth(year, month0));
  const out = new Date(t);
  out.setUTCFullYear(year, month0, day);
  return out;
}

/** Whole calendar months from `from` to `to`: the largest n with addMonths(from, n) ≤ to (n ≥ 0). */
export function wholeMonthsBetween(from: Date, to: Date): number {
  const a = new Date(ms(from, 'from'));
  const b = ms(to, 'to');
  if (b <= a.getTime()) return 0;
  const bd = new Date(b);
  let n = Math.max(0, (bd.getUTCFullYear() - a.getUTCFullYear()) * 12 + (bd.getUTCMonth() - a.getUTCMonth()));
  while (n > 0 && addMonths(a, n).getTime() > b) n--;
  while (addMonths(a, n + 1).getTime() <= b) n++;
  return n;
}

/** When a batch bought (or renewed) at `start` for `months` expires. */
export function expiresAt(start: Date, months: number): Date {
  return addMonths(start, months);
}

/**
 * The new expiry after renewing for `months`. Renewal continues from the current expiry (early
 * renewal adds to the end; renewal within the grace period keeps the same IPs and the same
 * period grid, so the grace hours are not given back). With `anchor` (the first period's start)
 * the expiry is counted from the anchor so that month-end clamping does not drift
 * (Jan 31 → Feb 28 → Mar 31, not Mar 28).
 */
export function renewedExpiry(currentExpiresAt: Date, months: number, anchor?: Date): Date {
  if (anchor === undefined) return addMonths(currentExpiresAt, months);
  return addMonths(anchor, wholeMonthsBetween(anchor, currentExpiresAt) + months);
}

/** End of the grace period after expiry. */
export function graceUntil(expiresAt: Date, hours: number = GRACE_HOURS): Date {
  return new Date(ms(expiresAt, 'expiresAt') + hours * HOUR_MS);
}

/** When the expiry reminders go out: 7 days and 1 day before, in that order. */
export function reminderTimes(expiresAt: Date): { daysBefore: (typeof REMINDER_DAYS)[number]; at: Date }[] {
  const t = ms(expiresAt, 'expiresAt');
  return REMINDER_DAYS.map((daysBefore) => ({ daysBefore, at: new Date(t - daysBefore * DAY_MS) }));
}

/**
 * The expiries whose `daysBefore` reminder is due at `now`: expires_at in (after, until]. A
 * reminder is due from its time in reminderTimes (expires_at − daysBefore ≤ now) until the next,
 * shorter one is due (a 7-day reminder is not sent the day before expiry: it would be stale), and
 * the last one until the expiry. The expiry sweeper selects with these bounds.
 */
export function reminderDueWindow(daysBefore: ReminderDays, now: Date): { after: Date; until: Date } {
  const t = ms(now, 'now');
  const next = REMINDER_DAYS.find((d) => d < daysBefore) ?? 0;
  return { after: new Date(t + next * DAY_MS), until: new Date(t + daysBefore * DAY_MS) };
}

/** When an auto-renewing batch is charged: a day before expiry. */
export function autoRenewAt(expiresAt: Date): Date {
  return new Date(ms(expiresAt, 'expiresAt') - AUTO_RENEW_HOURS_BEFORE * HOUR_MS);
}

/**
 * The latest expiry whose auto-renewal is due at `now` (autoRenewAt(expires_at) ≤ now): the
 * expiry sweeper renews the auto-renewing batches expiring at or before it.
 */
export function autoRenewDueUntil(now: Date): Date {
  return new Date(ms(now, 'now') + AUTO_RENEW_HOURS_BEFORE * HOUR_MS);
}

/**
 * A batch can be renewed while `ready` (even past expires_at until the sweeper marks it
 * expired), or while `expired` and strictly before the end of its grace period.
 */
export function canRenew(status: BatchStatus, now: Date, graceUntilAt: Date | null): boolean {
  if (status === 'ready') return true;
  if (status === 'expired') return graceUntilAt !== null && ms(now, 'now') < ms(graceUntilAt, 'graceUntil');
  return false;
}

/**
 * What the expiry sweeper should do with a batch now: `expire` a ready batch at or past its
 * expiry, `release` an expired batch at or past the end of its grace, else nothing.
 */
export function dueLifecycleAction(
  status: BatchStatus,
  now: Date,
  expiresAtTime: Date | null,
  graceUntilAt: Date | null,
): 'expire' | 'release' | null {
  const t = ms(now, 'now');
  if (status === 'ready' && expiresAtTime !== null && t >= ms(expiresAtTime, 'expiresAt')) return 'expire';
  if (status === 'expired' && graceUntilAt !== null && t >= ms(graceUntilAt, 'graceUntil')) return 'release';
  return null;
}

export interface BillingPeriod {
  start: Date;
  end: Date;
}

/**
 * The billing period (replacement quota, refresh) of a batch billed every `months` (1 or 12).
 * Without `now`: the period starting at `periodStartedAt`. With `now`: the period of the grid
 * periodStartedAt + k·months (k ≥ 0) that contains `now` (the first one if `now` is earlier), so
 * periods roll over without anyone updating the start.
 */
export function currentPeriod(periodStartedAt: Date, months: number, now?: Date): BillingPeriod {
  if (!Number.isSafeInteger(months) || months < 1) {
    throw new RangeError(`months must be a positive integer, got ${months}`);
  }
  const start = new Date(ms(periodStartedAt, 'periodStartedAt'));
  if (now === undefined) return { start, end: addMonths(start, months) };
  const k = Math.floor(wholeMonthsBetween(start, now) / months);
  return { start: addMonths(start, k * months), end: addMonths(start, (k + 1) * months) };
}

/** The earliest expiries still to be acted on, per action, as the database finds them. */
export interface PendingExpiries {
  /** ready, 7-day reminder not sent, expires_at > after + 7 days */
  remind7: Date | null;
  /** ready, 1-day reminder not sent, expires_at > after + 1 day */
  remind1: Date | null;
  /** ready, auto-renewing, not declined, expires_at > after + AUTO_RENEW_HOURS_BEFORE */
  autoRenew: Date | null;
  /** ready, expires_at > after */
  expire: Date | null;
  /** expired, grace_until > after */
  graceOver: Date | null;
}

/** The bounds the database looks past for PendingExpiries, for moments strictly after `after`. */
export function pendingExpiryBounds(after: Date): Record<keyof PendingExpiries, Date> {
  const t = ms(after, 'after');
  return {
    remind7: new Date(t + 7 * DAY_MS),
    remind1: new Date(t + DAY_MS),
    autoRenew: new Date(t + AUTO_RENEW_HOURS_BEFORE * HOUR_MS),
    expire: after,
    graceOver: after,
  };
}

/**
 * The first moment the expiry sweep has work (a reminder, an auto-renewal, an expiry, the end of
 * a grace), from the earliest pending expiries; null when there is none.
 */
export function firstLifecycleMoment(p: PendingExpiries): Date | null {
  const moments = [
    p.remind7 && reminderTimes(p.remind7)[0]?.at,
    p.remind1 && reminderTimes(p.remind1)[1]?.at,
    p.autoRenew && autoRenewAt(p.autoRenew),
    p.expire,
    p.graceOver,
  ].filter((d): d is Date => d instanceof Date);
  if (moments.length === 0) return null;
  return new Date(Math.min(...moments.map((d) => d.getTime())));
}
