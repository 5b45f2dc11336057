import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  citiesOf,
  distanceKm,
  gazetteerCountries,
  isCitySlug,
  isLatLon,
  type LatLon,
  lookupCity,
} from './gazetteer.ts';
import { T1_MARKETS } from './isp-pricing.ts';

const RUNS = 2_000;

const T1_CITIES: Record<string, string[]> = {
  us: [
    'newyork',
    'losangeles',
    'chicago',
    'houston',
    'dallas',
    'miami',
    'seattle',
    'sanfrancisco',
    'atlanta',
    'denver',
    'phoenix',
    'boston',
    'washington',
    'lasvegas',
    'ashburn',
  ],
  ca: ['toronto', 'montreal', 'vancouver', 'calgary'],
  gb: ['london', 'manchester', 'birmingham', 'glasgow'],
  de: ['frankfurt', 'berlin', 'munich', 'hamburg', 'dusseldorf'],
  fr: ['paris', 'marseille', 'lyon'],
  nl: ['amsterdam', 'rotterdam'],
  jp: ['tokyo', 'osaka'],
  sg: ['singapore'],
  au: ['sydney', 'melbourne', 'brisbane', 'perth'],
};

const MAIN_CITIES: Record<string, string> = {
  br: 'saopaulo',
  in: 'mumbai',
  mx: 'mexicocity',
  es: 'madrid',
  it: 'milan',
  pl: 'warsaw',
  se: 'stockholm',
  kr: 'seoul',
  hk: 'hongkong',
  tw: 'taipei',
  za: 'johannesburg',
  ar: 'buenosaires',
  tr: 'istanbul',
  ae: 'dubai',
  id: 'jakarta',
  th: 'bangkok',
  vn: 'hochiminh',
  ph: 'manila',
  my: 'kualalumpur',
  ch: 'zurich',
  at: 'vienna',
  be: 'brussels',
  ie: 'dublin',
  pt: 'lisbon',
  cz: 'prague',
  ro: 'bucharest',
  ua: 'kyiv',
  il: 'telaviv',
  eg: 'cairo',
  ng: 'lagos',
  ke: 'nairobi',
  cl: 'santiago',
  co: 'bogota',
  pe: 'lima',
  nz: 'auckland',
  no: 'oslo',
  dk: 'copenhagen',
  fi: 'helsinki',
  gr: 'athens',
  hu: 'budapest',
};

describe('the bundled gazetteer', () => {
  it('knows every listed city of every T1 market', () => {
    for (const c of T1_MARKETS) {
      expect(citiesOf(c).length).toBeGreaterThan(0);
      for (const city of T1_CITIES[c]!) expect(lookupCity(c, city), `${c}/${city}`).not.toBeNull();
    }
  });

  it('knows the main city of at least 40 other countries', () => {
    for (const [c, city] of Object.entries(MAIN_CITIES)) {
      expect(lookupCity(c, city), `${c}/${city}`).not.toBeNull();
    }
    const others = gazetteerCountries().filter((c) => !(T1_MARKETS as readonly string[]).includes(c));
    expect(others.length).toBeGreaterThanOrEqual(40);
  });

  it('uses lower-case alpha-2 countries, slug cities and valid coordinates everywhere', () => {
    for (const c of gazetteerCountries()) {
      expect(c).toMatch(/^[a-z]{2}$/);
      for (const city of citiesOf(c)) {
        expect(isCitySlug(city), city).toBe(true);
        const at = lookupCity(c, city)!;
        expect(isLatLon(at.lat, at.lon), `${c}/${city}`).toBe(true);
      }
    }
  });

  it('puts cities roughly where they are', () => {
    expect(lookupCity('us', 'newyork')).toEqual({ lat: 40.7128, lon: -74.006 });
    expect(lookupCity('au', 'sydney')!.lat).toBeLessThan(0);
    expect(lookupCity('br', 'saopaulo')!.lon).toBeLessThan(0);
    expect(lookupCity('jp', 'tokyo')!.lon).toBeGreaterThan(130);
  });

  it('returns null for an unknown country or city, and never reads the prototype', () => {
    expect(lookupCity('us', 'springfield')).toBeNull();
    expect(lookupCity('zz', 'newyork')).toBeNull();
    expect(lookupCity('us', 'constructor')).toBeNull();
    expect(lookupCity('__proto__', 'toString')).toBeNull();
    expect(citiesOf('zz')).toEqual([]);
    expect(citiesOf('constructor')).toEqual([]);
  });

  it('lists cities sorted, as a copy', () => {
    const a = citiesOf('de');
    expect(a).toEqual([...a].sort());
    a.push('nowhere');
    expect(citiesOf('de')).not.toContain('nowhere');
  });
});

describe('isCitySlug', () => {
  it('accepts the seed slugs and refuses spaces, capitals, dashes and leading digits', () => {
    for (const s of ['newyork', 'losangeles', 'saopaulo', 'a', 'city9']) expect(isCitySlug(s)).toBe(true);
    for (const s of ['New York', 'NewYork', 'new york', 'new-york', '9city', '', 'a'.repeat(41), 5]) {
      expect(isCitySlug(s)).toBe(false);
    }
    expect(isCitySlug('a'.repeat(40))).toBe(true);
  });
});

describe('distanceKm', () => {
  const at = (c: string, city: string) => lookupCity(c, city)!;

  it('measures known distances within a few km', () => {
    expect(distanceKm(at('us', 'newyork'), at('us', 'losangeles'))).toBeCloseTo(3936, -1);
    expect(distanceKm(at('gb', 'london'), at('fr', 'paris'))).toBeCloseTo(344, -1);
    expect(distanceKm(at('us', 'washington'), at('us', 'ashburn'))).toBeLessThan(50);
  });

  const point = fc.record({
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
  });

  it('property: symmetric, non-negative, zero to itself, at most half the circumference', () => {
    fc.assert(
      fc.property(point, point, (a: LatLon, b: LatLon) => {
        const d = distanceKm(a, b);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(20_016);
        expect(Math.abs(d - distanceKm(b, a))).toBeLessThan(1e-6);
        expect(distanceKm(a, a)).toBeLessThan(1e-6);
      }),
      { numRuns: RUNS },
    );
  });

  // haversine loses some float precision near antipodes (about 1 cm seen): allow 1 m of slack
  it('property: triangle inequality (to the metre)', () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        expect(distanceKm(a, c)).toBeLessThanOrEqual(distanceKm(a, b) + distanceKm(b, c) + 1e-3);
      }),
      { numRuns: RUNS },
    );
  });
});
