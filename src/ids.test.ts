import { describe, expect, it } from 'vitest';
import { isId, pooledPrng, ulidIds } from './ids.ts';

describe('typed ids (SPEC §1: a prefix, an underscore and a ULID)', () => {
  it('100,000 ids of one factory are distinct, valid and increase in creation order', () => {
    const ids = ulidIds();
    const made = Array.from({ length: 100_000 }, () => ids.next('ord'));
    expect(new Set(made).size).toBe(made.length);
    expect(made.every((id) => isId('ord', id))).toBe(true);
    expect([...made].sort()).toEqual(made);
  });

  it('the pooled random source gives each of the 32 base-32 digits with equal chance', () => {
    const prng = pooledPrng(64);
    const counts = new Array<number>(32).fill(0);
    const n = 320_000;
    let [min, max] = [1, 0];
    for (let i = 0; i < n; i++) {
      const v = prng();
      min = Math.min(min, v);
      max = Math.max(max, v);
      counts[Math.floor(v * 32)]!++;
    }
    expect(min).toBeGreaterThan(0);
    expect(max).toBeLessThan(1);
    // expected 10,000 each; 6 standard deviations (~590) of slack
    for (const c of counts) expect(Math.abs(c - n / 32)).toBeLessThan(600);
  });
});
