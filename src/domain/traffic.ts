/**
 * Traffic accounting (SPEC §2): GB ↔ bytes, subuser credentials, caps and the gateway's
 * authorize decision. Pure: facts come in as arguments. Traffic is counted in bytes (integers);
 * GB are decimal gigabytes (10^9 bytes), shown with up to 3 decimals.
 */
import { divRoundHalfUp } from './money.ts';

export const BYTES_PER_GB = 1_000_000_000;

export type TrafficProduct = 'residential' | 'mobile';
export const TRAFFIC_PRODUCTS: readonly TrafficProduct[] = ['residential', 'mobile'];

/** Largest cap a subuser may carry: 1,000,000 GB (10^15 bytes, well inside 2^53). */
export const CAP_GB_MAX = 1_000_000;

/** Largest byte count one usage line may carry (1 TB): 1,000 of them still sum below 2^53. */
export const LINE_BYTES_MAX = 1_000_000_000_000;

/**
 * Proxy usernames: 3–32 of [a-z0-9_-], unique across the system. `sub_…` is reserved so that a
 * usage line's `subuser` field (a subuser id or a username) is never ambiguous.
 */
export const USERNAME = /^(?!sub_)[a-z0-9_-]{3,32}$/;

/**
 * Proxy passwords: 8–64 characters that need no escaping in a proxy URL
 * (http://user:pass@host:port) nor in the `ip:port:username:password` list format.
 */
export const PROXY_PASSWORD = /^[A-Za-z0-9._~-]{8,64}$/;

const GB_DECIMAL = /^(\d{1,7})(?:\.(\d{1,3}))?$/;

/**
 * A GB amount (JSON number or decimal string, at most 3 decimals, 0–CAP_GB_MAX) as bytes, or
 * null when it is not one. Parsed digit by digit: no float arithmetic.
 */
export function gbToBytes(input: number | string): number | null {
  if (typeof input === 'number' && !Number.isFinite(input)) return null;
  const text = typeof input === 'number' ? String(input) : input.trim();
  const m = GB_DECIMAL.exec(text);
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? '').padEnd(3, '0'));
  const bytes = whole * BYTES_PER_GB + frac * 1_000_000;
  if (bytes > CAP_GB_MAX * BYTES_PER_GB) return null;
  return bytes;
}

/** Bytes as GB with up to 3 decimals (rounded half away from zero at the MB), as a JSON number. */
export function bytesToGb(bytes: number): number {
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`bytes must be a safe integer, got ${bytes}`);
  const mb = divRoundHalfUp(BigInt(bytes), 1_000_000n);
  const neg = mb < 0n;
  const abs = neg ? -mb : mb;
  const whole = abs / 1000n;
  const frac = (abs % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  // the decimal string has ≤ 3 decimals, so the nearest double prints back as the same digits
  return Number(`${neg ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`);
}

export interface CapState {
  capBytes: number | null;
  usedBytes: number;
  /** bytes left under the cap (never negative); null without a cap */
  capRemainingBytes: number | null;
  /** a subuser that has used its cap (or more) is limited */
  limited: boolean;
}

export function capState(capBytes: number | null, usedBytes: number): CapState {
  if (capBytes === null) return { capBytes, usedBytes, capRemainingBytes: null, limited: false };
  return {
    capBytes,
    usedBytes,
    capRemainingBytes: Math.max(capBytes - usedBytes, 0),
    limited: usedBytes >= capBytes,
  };
}

export type DenyReason =
  | 'unknown_subuser'
  | 'subuser_disabled'
  | 'account_suspended'
  | 'pool_empty'
  | 'cap_reached';

export interface AuthorizeFacts {
  subuserStatus: 'active' | 'disabled';
  accountStatus: 'active' | 'suspended';
  /** the account's pool for the product; negative after overage */
  poolRemainingBytes: number;
  capBytes: number | null;
  usedBytes: number;
}

export interface AuthorizeDecision {
  allowed: boolean;
  reason?: DenyReason;
  /** bytes left in the account's pool (0 when it is empty or overdrawn) */
  remainingBytes: number;
  /** bytes left under the subuser's cap; null without a cap */
  capRemainingBytes: number | null;
}

/**
 * May this subuser use traffic of this product now? Checked in this order, the first failing
 * check is the reason: subuser disabled, account suspended, pool empty, cap reached.
 */
export function authorize(f: AuthorizeFacts): AuthorizeDecision {
  const cap = capState(f.capBytes, f.usedBytes);
  const base = {
    remainingBytes: Math.max(f.poolRemainingBytes, 0),
    capRemainingBytes: cap.capRemainingBytes,
  };
  const reason: DenyReason | null =
    f.subuserStatus !== 'active'
      ? 'subuser_disabled'
      : f.accountStatus !== 'active'
        ? 'account_suspended'
        : f.poolRemainingBytes <= 0
          ? 'pool_empty'
          : cap.limited
            ? 'cap_reached'
            : null;
  return reason ? { allowed: false, reason, ...base } : { allowed: true, ...base };
}
