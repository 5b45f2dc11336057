import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { citiesOf, distanceKm, lookupCity } from './gazetteer.ts';
import { chooseSubstitute, type StockPlace, type SubstituteRequest } from './substitution.ts';

const RUNS = 2_000;

function place(city: string, asn: number, available: number, extra: Partial<StockPlace> = {}): StockPlace {
  return { city, asn, available, lat: null, lon: null, ...extra };
}

describe('chooseSubstitute', () => {
  it('takes another ASN in the same city first: the one with the most stock', () => {
    const stock = [
      place('newyork', 7922, 3),
      place('newyork', 701, 25),
      place('newyork', 7018, 40),
      place('newark', 7922, 100),
    ];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)).toEqual({
      city: 'newyork',
      asn: 7018,
      distanceKm: 0,
      reason: 'same_city_other_asn',
      available: 40,
    });
  });

  it('breaks a same-city tie by the lowest ASN', () => {
    const stock = [place('newyork', 7018, 30), place('newyork', 701, 30)];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)?.asn).toBe(
      701,
    );
  });

  it('then the nearest city by distance from the requested one', () => {
    const stock = [
      place('newyork', 701, 5),
      place('losangeles', 7922, 500),
      place('boston', 3356, 50),
      place('philadelphia', 174, 20),
    ];
    const s = chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)!;
    expect(s.city).toBe('philadelphia');
    expect(s.asn).toBe(174);
    expect(s.reason).toBe('nearest_city');
    expect(s.distanceKm).toBeGreaterThan(120);
    expect(s.distanceKm).toBeLessThan(140);
  });

  it('in the nearest city prefers the requested ASN, then more stock', () => {
    const stock = [place('newark', 3356, 90), place('newark', 7922, 20), place('newark', 174, 95)];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)?.asn).toBe(
      7922,
    );
    expect(chooseSubstitute({ country: 'us', city: 'newyork', quantity: 20 }, stock)?.asn).toBe(174);
  });

  it('delivers in full from one place: a place with less than the quantity never qualifies', () => {
    const stock = [place('newyork', 701, 19), place('boston', 701, 19), place('miami', 701, 20)];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)?.city).toBe(
      'miami',
    );
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 21 }, stock)).toBeNull();
  });

  it('uses a place’s own coordinates over the gazetteer’s, and measures unknown cities by them', () => {
    const stock = [
      place('boston', 701, 50),
      // a city the gazetteer does not know, right next to New York
      place('hoboken', 701, 50, { lat: 40.744, lon: -74.0324 }),
    ];
    const s = chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)!;
    expect(s.city).toBe('hoboken');
    expect(s.distanceKm).toBeLessThan(10);
  });

  it('ranks places whose distance cannot be measured last, with a null distance', () => {
    const stock = [place('springfield', 701, 500), place('chicago', 701, 20)];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', quantity: 20 }, stock)?.city).toBe('chicago');
    const only = chooseSubstitute({ country: 'us', city: 'newyork', quantity: 20 }, [
      place('springfield', 701, 500),
    ]);
    expect(only).toEqual({
      city: 'springfield',
      asn: 701,
      distanceKm: null,
      reason: 'nearest_city',
      available: 500,
    });
  });

  it('takes an explicit origin over the gazetteer’s coordinates of the requested city', () => {
    const stock = [place('seattle', 701, 50), place('miami', 701, 50)];
    const origin = lookupCity('us', 'portland')!;
    expect(chooseSubstitute({ country: 'us', city: 'somewhere', quantity: 20 }, stock, origin)?.city).toBe(
      'seattle',
    );
  });

  it('a request without a city only needs another ASN: the place with the most stock', () => {
    const stock = [place('chicago', 7922, 10), place('dallas', 701, 30), place('miami', 174, 60)];
    expect(chooseSubstitute({ country: 'us', asn: 7922, quantity: 20 }, stock)).toEqual({
      city: 'miami',
      asn: 174,
      distanceKm: null,
      reason: 'other_asn',
      available: 60,
    });
  });

  it('never returns the exact request (it would not be a substitute)', () => {
    const stock = [place('newyork', 7922, 100)];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)).toBeNull();
    expect(chooseSubstitute({ country: 'us', city: 'newyork', quantity: 20 }, stock)).toBeNull();
    expect(chooseSubstitute({ country: 'us', asn: 7922, quantity: 20 }, stock)).toBeNull();
    expect(chooseSubstitute({ country: 'us', quantity: 20 }, stock)).toBeNull();
  });

  it('ignores places of another country', () => {
    const stock = [
      place('toronto', 701, 100, { country: 'ca' }),
      place('chicago', 701, 20, { country: 'us' }),
    ];
    expect(chooseSubstitute({ country: 'us', city: 'newyork', asn: 7922, quantity: 20 }, stock)?.city).toBe(
      'chicago',
    );
  });

  it('returns null for no stock or a nonsense quantity', () => {
    expect(chooseSubstitute({ country: 'us', city: 'newyork', quantity: 20 }, [])).toBeNull();
    expect(
      chooseSubstitute({ country: 'us', city: 'newyork', quantity: 0 }, [place('boston', 1, 5)]),
    ).toBeNull();
  });
});

describe('chooseSubstitute properties', () => {
  const usCities = citiesOf('us');
  const cityArb = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...usCities) },
    { weight: 1, arbitrary: fc.constantFrom('springfield', 'hoboken') },
  );
  const asnArb = fc.constantFrom(701, 7018, 7922, 20115, 174, 3356);
  const placeArb: fc.Arbitrary<StockPlace> = fc.record({
    city: cityArb,
    asn: asnArb,
    available: fc.integer({ min: 0, max: 60 }),
    lat: fc.constant(null),
    lon: fc.constant(null),
    country: fc.constantFrom('us', 'us', 'us', 'ca'),
  });
  const requestArb: fc.Arbitrary<SubstituteRequest> = fc.record(
    {
      country: fc.constant('us'),
      city: fc.constantFrom(...usCities),
      asn: asnArb,
      quantity: fc.integer({ min: 5, max: 50 }),
    },
    { requiredKeys: ['country', 'quantity'] },
  );
  const stockArb = fc.array(placeArb, { maxLength: 30 });

  it('never returns a place with less than the quantity, nor of another country, nor not in stock', () => {
    fc.assert(
      fc.property(requestArb, stockArb, (req, stock) => {
        const s = chooseSubstitute(req, stock);
        if (s === null) return;
        const match = stock.filter(
          (p) => p.city === s.city && p.asn === s.asn && p.country === 'us' && p.available >= req.quantity,
        );
        expect(match.length).toBeGreaterThan(0);
        expect(s.available).toBeGreaterThanOrEqual(req.quantity);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns null exactly when no non-exact place of the country has the quantity', () => {
    fc.assert(
      fc.property(requestArb, stockArb, (req, stock) => {
        const any = stock.some(
          (p) =>
            p.country === 'us' &&
            p.available >= req.quantity &&
            !(
              (req.city === undefined || p.city === req.city) &&
              (req.asn === undefined || p.asn === req.asn)
            ),
        );
        expect(chooseSubstitute(req, stock) !== null).toBe(any);
      }),
      { numRuns: RUNS },
    );
  });

  it('always prefers the same city when it has another ASN with the quantity', () => {
    fc.assert(
      fc.property(requestArb, stockArb, (req, stock) => {
        const sameCity = stock.some(
          (p) =>
            req.city !== undefined &&
            req.asn !== undefined &&
            p.country === 'us' &&
            p.city === req.city &&
            p.asn !== req.asn &&
            p.available >= req.quantity,
        );
        const s = chooseSubstitute(req, stock);
        if (sameCity) {
          expect(s?.reason).toBe('same_city_other_asn');
          expect(s?.city).toBe(req.city);
          expect(s?.distanceKm).toBe(0);
        } else if (s !== null) {
          expect(s.reason).not.toBe('same_city_other_asn');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('picks no city farther than another qualifying one', () => {
    fc.assert(
      fc.property(requestArb, stockArb, (req, stock) => {
        const s = chooseSubstitute(req, stock);
        if (s === null || s.reason !== 'nearest_city' || s.distanceKm === null) return;
        const origin = lookupCity('us', req.city!)!;
        for (const p of stock) {
          if (p.country !== 'us' || p.available < req.quantity || p.city === req.city) continue;
          const at = lookupCity('us', p.city);
          if (at === null) continue;
          expect(s.distanceKm).toBeLessThanOrEqual(Math.round(distanceKm(origin, at) * 10) / 10);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is deterministic: the order of the stock does not matter', () => {
    fc.assert(
      fc.property(
        requestArb,
        stockArb.chain((stock) =>
          fc.tuple(fc.constant(stock), fc.shuffledSubarray(stock, { minLength: stock.length })),
        ),
        (req, [stock, shuffled]) => {
          expect(chooseSubstitute(req, shuffled)).toEqual(chooseSubstitute(req, stock));
        },
      ),
      { numRuns: RUNS },
    );
  });
});
