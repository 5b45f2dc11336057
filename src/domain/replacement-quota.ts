/**
 * Single-IP replacement quota and the batch's allowances (SPEC §6 "Replacement"):
 * - free without limit for 14 days after purchase, and those replacements do not count;
 * - after that, free up to 10% of the batch size (rounded up) per billing period;
 * - beyond it `replacement_quota_exceeded`, unless the request accepts the charge (a `change`
 *   order for the replacement fee). A charged replacement does not use up the free quota.
 * The whole-batch refresh is once per billing period, else `refresh_limit_reached`.
 * Pure: times and counts come in as arguments.
 */
import { err, ok, type Result } from './errors.ts';

const FREE_REPLACEMENT_DAYS = 14;
const REPLACEMENT_QUOTA_PERCENT = 10;

const DAY_MS = 86_400_000;

function time(d: Date, what: string): number {
  const t = d instanceof Date ? d.getTime() : Number.NaN;
  if (!Number.isFinite(t)) throw new RangeError(`${what} is not a valid date`);
  return t;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  }
}

/** Free replacements per billing period after the first 14 days: ceil(10% of the batch size). */
export function replacementQuota(batchSize: number): number {
  checkBatchSize(batchSize);
  return Math.floor((batchSize * REPLACEMENT_QUOTA_PERCENT + 99) / 100);
}

/** The end of the unlimited window: purchase + 14 days. */
export function freeReplacementsUntil(purchasedAt: Date): Date {
  return new Date(time(purchasedAt, 'purchasedAt') + FREE_REPLACEMENT_DAYS * DAY_MS);
}

/** True while replacements are free without limit (strictly before purchase + 14 days). */
function inFreeWindow(purchasedAt: Date, now: Date): boolean {
  return time(now, 'now') < freeReplacementsUntil(purchasedAt).getTime();
}

export interface ReplacementInput {
  purchasedAt: Date;
  now: Date;
  batchSize: number;
  periodStart: Date;
  periodEnd: Date;
  /** replacements this period that counted toward the quota (not the first-14-day ones) */
  usedThisPeriod: number;
  acceptCharge: boolean;
}

export interface ReplacementDecision {
  /** false: the replacement is charged the replacement fee */
  free: boolean;
  /** whether this replacement uses up one of the period's free replacements */
  countsTowardQuota: boolean;
  quota: number;
  /** counted replacements this period after this one */
  usedAfter: number;
  /** free replacements left this period after this one (0 when exhausted) */
  leftAfter: number;
}

/**
 * Decides one replacement. In the first 14 days: free, not counted. After: free and counted while
 * the period's quota lasts; beyond it `replacement_quota_exceeded` (detail: quota, used,
 * resets_at) unless `acceptCharge`, then charged and not counted. Accepting the charge when the
 * replacement is free anyway changes nothing: it stays free.
 */
export function replacementDecision(input: ReplacementInput): Result<ReplacementDecision> {
  const { purchasedAt, now, batchSize, periodStart, periodEnd, usedThisPeriod, acceptCharge } = input;
  time(periodStart, 'periodStart');
  time(periodEnd, 'periodEnd');
  if (!Number.isSafeInteger(usedThisPeriod) || usedThisPeriod < 0) {
    throw new RangeError(`usedThisPeriod must be a non-negative integer, got ${usedThisPeriod}`);
  }
  const quota = replacementQuota(batchSize);
  const left = Math.max(0, quota - usedThisPeriod);
  if (inFreeWindow(purchasedAt, now)) {
    return ok({ free: true, countsTowardQuota: false, quota, usedAfter: usedThisPeriod, leftAfter: left });
  }
  if (left > 0) {
    return ok({
      free: true,
      countsTowardQuota: true,
      quota,
      usedAfter: usedThisPeriod + 1,
      leftAfter: left - 1,
    });
  }
  if (acceptCharge) {
    return ok({ free: false, countsTowardQuota: false, quota, usedAfter: usedThisPeriod, leftAfter: 0 });
  }
  return err(
    'replacement_quota_exceeded',
    `the ${quota} free replacement${quota === 1 ? '' : 's'} of this period are used; send "accept_charge": true to pay the replacement fee`,
    { detail: { quota, used: usedThisPeriod, resets_at: periodEnd.toISOString() } },
  );
}

export interface Allowances {
  /** counted replacements this period */
  replacements_used: number;
  /** free replacements left this period; null while unlimited (first 14 days) */
  replacements_left: number | null;
  /** the period's free quota: ceil(10% of the batch size) */
  replacements_quota: number;
  /** end of the unlimited window while it lasts, else null */
  unlimited_until: Date | null;
  refresh_used: boolean;
  /** when the replacement quota and the refresh reset: the end of the billing period */
  resets_at: Date;
}

/** The batch view's allowances for the current billing period. */
export function allowances(input: {
  purchasedAt: Date;
  now: Date;
  batchSize: number;
  periodEnd: Date;
  usedThisPeriod: number;
  refreshUsed: boolean;
}): Allowances {
  const { purchasedAt, now, batchSize, periodEnd, usedThisPeriod, refreshUsed } = input;
  time(periodEnd, 'periodEnd');
  const quota = replacementQuota(batchSize);
  const unlimited = inFreeWindow(purchasedAt, now);
  return {
    replacements_used: usedThisPeriod,
    replacements_left: unlimited ? null : Math.max(0, quota - usedThisPeriod),
    replacements_quota: quota,
    unlimited_until: unlimited ? freeReplacementsUntil(purchasedAt) : null,
    refresh_used: refreshUsed,
    resets_at: periodEnd,
  };
}

/** The whole-batch refresh: once per billing period, else `refresh_limit_reached`. */
export function refreshDecision(input: { refreshUsedThisPeriod: boolean; periodEnd: Date }): Result<true> {
  if (input.refreshUsedThisPeriod) {
    return err('refresh_limit_reached', 'this batch was already refreshed in this billing period', {
      detail: { resets_at: input.periodEnd.toISOString() },
    });
  }
  return ok(true);
}
