import { describe, expect, it } from 'vitest';
import { normalizeCountry } from './country.ts';

describe('normalizeCountry (ISO 3166-1 alpha-2, lower case)', () => {
  it('accepts assigned codes in any case and with spaces around, and XK', () => {
    expect(['us', ' GB ', 'De', 'xk'].map(normalizeCountry)).toEqual(['us', 'gb', 'de', 'xk']);
  });
  it('refuses unassigned codes, alpha-3 codes, names and the empty string', () => {
    expect(['zz', 'usa', 'Germany', '', 'u s'].map(normalizeCountry)).toEqual([null, null, null, null, null]);
  });
});
