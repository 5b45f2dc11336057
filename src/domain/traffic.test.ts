import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  authorize,
  BYTES_PER_GB,
  bytesToGb,
  capState,
  gbToBytes,
  PROXY_PASSWORD,
  USERNAME,
} from './traffic.ts';

describe('gbToBytes', () => {
  it('parses GB with up to 3 decimals into bytes without float arithmetic', () => {
    expect(gbToBytes(1)).toBe(BYTES_PER_GB);
    expect(gbToBytes(1.2)).toBe(1_200_000_000);
    expect(gbToBytes(0.001)).toBe(1_000_000);
    expect(gbToBytes('0.1')).toBe(100_000_000);
    expect(gbToBytes(0)).toBe(0);
    expect(gbToBytes(1_000_000)).toBe(1_000_000 * BYTES_PER_GB);
  });
  it('refuses more than 3 decimals, negatives, exponents and out-of-range amounts', () => {
    for (const bad of [
      1.0001,
      -1,
      1e-7,
      1e21,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      1_000_000.001,
      '1,5',
      '',
    ])
      expect(gbToBytes(bad)).toBeNull();
  });
});

describe('bytesToGb', () => {
  it('shows up to 3 decimals, rounding half away from zero at the MB', () => {
    expect(bytesToGb(40 * BYTES_PER_GB)).toBe(40);
    expect(bytesToGb(1_200_000_000)).toBe(1.2);
    expect(bytesToGb(48_800_000_000)).toBe(48.8);
    expect(bytesToGb(1_234_500_000)).toBe(1.235);
    expect(bytesToGb(1_234_499_999)).toBe(1.234);
    expect(bytesToGb(-500_000_000)).toBe(-0.5);
    expect(bytesToGb(0)).toBe(0);
  });
  it('round-trips every MB-exact amount (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000_000 }), (mb) => {
        const bytes = mb * 1_000_000;
        expect(gbToBytes(bytesToGb(bytes))).toBe(bytes);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('capState', () => {
  it('a subuser at or past its cap is limited; no cap is never limited', () => {
    expect(capState(null, 10 ** 12)).toMatchObject({ limited: false, capRemainingBytes: null });
    expect(capState(BYTES_PER_GB, 999_999_999)).toMatchObject({ limited: false, capRemainingBytes: 1 });
    expect(capState(BYTES_PER_GB, BYTES_PER_GB)).toMatchObject({ limited: true, capRemainingBytes: 0 });
    expect(capState(BYTES_PER_GB, 1_200_000_000)).toMatchObject({ limited: true, capRemainingBytes: 0 });
    expect(capState(0, 0)).toMatchObject({ limited: true, capRemainingBytes: 0 });
  });
});

describe('authorize', () => {
  const ok = {
    subuserStatus: 'active' as const,
    accountStatus: 'active' as const,
    poolRemainingBytes: 5 * BYTES_PER_GB,
    capBytes: null,
    usedBytes: 0,
  };
  it('allows an active subuser of an active account with traffic left under its cap', () => {
    expect(authorize(ok)).toEqual({
      allowed: true,
      remainingBytes: 5 * BYTES_PER_GB,
      capRemainingBytes: null,
    });
  });
  it('names the first failing check: disabled, suspended, pool empty, cap reached', () => {
    expect(authorize({ ...ok, subuserStatus: 'disabled', accountStatus: 'suspended' }).reason).toBe(
      'subuser_disabled',
    );
    expect(authorize({ ...ok, accountStatus: 'suspended', poolRemainingBytes: 0 }).reason).toBe(
      'account_suspended',
    );
    expect(authorize({ ...ok, poolRemainingBytes: 0, capBytes: 0 }).reason).toBe('pool_empty');
    expect(authorize({ ...ok, capBytes: 10, usedBytes: 10 }).reason).toBe('cap_reached');
  });
  it('an overdrawn pool shows 0 bytes remaining', () => {
    expect(authorize({ ...ok, poolRemainingBytes: -7 })).toMatchObject({
      allowed: false,
      reason: 'pool_empty',
      remainingBytes: 0,
    });
  });
});

describe('credentials', () => {
  it('usernames are 3–32 of a-z 0-9 _ -, and sub_ is reserved', () => {
    for (const good of ['abc', 'team-1', 'a_b', 'x'.repeat(32)]) expect(USERNAME.test(good)).toBe(true);
    for (const bad of ['ab', 'Alice', 'x'.repeat(33), 'sub_team', 'a b', 'a.b', 'ü12'])
      expect(USERNAME.test(bad)).toBe(false);
  });
  it('proxy passwords are 8–64 URL-safe characters (no colon, no @)', () => {
    for (const good of ['abcdefgh', 'A1.b_c~d-e', 'x'.repeat(64)])
      expect(PROXY_PASSWORD.test(good)).toBe(true);
    for (const bad of ['short', 'x'.repeat(65), 'abc:defgh', 'abc@defgh', 'abc defgh'])
      expect(PROXY_PASSWORD.test(bad)).toBe(false);
  });
});
