import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Result } from './errors.ts';
import {
  DEFAULT_ISP_PRICE_BOOK,
  ISP_QTY_MAX,
  ISP_QTY_MIN,
  type IspPriceBook,
  ispPriceBookFromRows,
  ispUnitPrice,
  isT1Market,
  priceIsp,
  renewalPrice,
  replacementCharge,
  T1_MARKETS,
} from './isp-pricing.ts';
import { lineAmount, mulDivHalfUp } from './money.ts';

const RUNS = 2_000;

/** The rows migration 004 seeds. */
const SEED_ROWS = [
  { code: 'country:us', unitPrice4: 50000 },
  { code: 'country:ca', unitPrice4: 55000 },
  { code: 'country:gb', unitPrice4: 55000 },
  { code: 'country:de', unitPrice4: 55000 },
  { code: 'country:fr', unitPrice4: 55000 },
  { code: 'country:nl', unitPrice4: 50000 },
  { code: 'country:jp', unitPrice4: 60000 },
  { code: 'country:sg', unitPrice4: 60000 },
  { code: 'country:au', unitPrice4: 65000 },
  { code: 'country:*', unitPrice4: 70000 },
  { code: 'asn:7922', unitPrice4: 10000 },
  { code: 'asn:20115', unitPrice4: 10000 },
  { code: 'asn:7018', unitPrice4: 10000 },
  { code: 'asn:701', unitPrice4: 10000 },
  { code: 'replacement_fee', unitPrice4: 10000 },
];
const BOOK = ispPriceBookFromRows(SEED_ROWS);

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function failure<T>(r: Result<T>) {
  if (r.ok) throw new Error('expected an error');
  return r.error;
}

describe('ispPriceBookFromRows', () => {
  it('reads the seeded rows into the spec defaults', () => {
    expect(BOOK).toEqual(DEFAULT_ISP_PRICE_BOOK);
  });

  it('ignores rows of other codes and invalid prices', () => {
    const book = ispPriceBookFromRows([
      ...SEED_ROWS,
      { code: 'country:USA', unitPrice4: 1 },
      { code: 'asn:abc', unitPrice4: 1 },
      { code: 'asn:0', unitPrice4: 1 },
      { code: 'country:br', unitPrice4: -5 },
      { code: 'country:mx', unitPrice4: 1.5 },
      { code: 'payg', unitPrice4: 1 },
    ]);
    expect(book).toEqual(DEFAULT_ISP_PRICE_BOOK);
  });

  it('takes operator edits: a new country, a new premium ASN, a changed long tail', () => {
    const book = ispPriceBookFromRows([
      ...SEED_ROWS,
      { code: 'country:br', unitPrice4: 80000 },
      { code: 'asn:3320', unitPrice4: 5000 },
      { code: 'country:*', unitPrice4: 75000 },
    ]);
    expect(book.countries.br).toBe(80000);
    expect(book.asnSurcharges[3320]).toBe(5000);
    expect(book.longTail).toBe(75000);
  });

  it('falls back to the spec default when the long tail or the replacement fee row is missing', () => {
    const book = ispPriceBookFromRows([{ code: 'country:us', unitPrice4: 40000 }]);
    expect(book).toEqual({
      countries: { us: 40000 },
      longTail: 70000,
      asnSurcharges: {},
      replacementFee: 10000,
    });
  });
});

describe('T1 markets', () => {
  it('are us, ca, gb, de, fr, nl, jp, sg, au', () => {
    expect([...T1_MARKETS]).toEqual(['us', 'ca', 'gb', 'de', 'fr', 'nl', 'jp', 'sg', 'au']);
    expect(isT1Market('us')).toBe(true);
    expect(isT1Market('br')).toBe(false);
  });
});

describe('priceIsp', () => {
  it('20 IPs in us/newyork on ASN 7922 for one month is 6.00 × 20 = 120.00 (the seed document)', () => {
    expect(
      value(priceIsp({ country: 'us', city: 'newyork', asn: 7922, quantity: 20, months: 1 }, BOOK)),
    ).toEqual({
      unitPrice: 60000,
      basePrice: 50000,
      surcharge: 10000,
      quantity: 20,
      months: 1,
      original: 12000,
      discount: 0,
      payable: 12000,
    });
  });

  it('yearly billing is 10% off: us × 20 × 12 is 1200.00 − 120.00 = 1080.00', () => {
    const q = value(priceIsp({ country: 'us', quantity: 20, months: 12 }, BOOK));
    expect(q.unitPrice).toBe(50000);
    expect(q.original).toBe(120000);
    expect(q.discount).toBe(12000);
    expect(q.payable).toBe(108000);
    expect(q.months).toBe(12);
  });

  it('a long-tail country costs 7.00 per IP per month', () => {
    const q = value(priceIsp({ country: 'br', quantity: 10, months: 1 }, BOOK));
    expect(q.unitPrice).toBe(70000);
    expect(q.basePrice).toBe(70000);
    expect(q.payable).toBe(7000);
  });

  it('each T1 country has its spec price', () => {
    const expected: Record<string, number> = {
      us: 50000,
      ca: 55000,
      gb: 55000,
      de: 55000,
      fr: 55000,
      nl: 50000,
      jp: 60000,
      sg: 60000,
      au: 65000,
    };
    for (const c of T1_MARKETS) {
      expect(value(priceIsp({ country: c, quantity: 5, months: 1 }, BOOK)).unitPrice).toBe(expected[c]);
    }
  });

  it('a non-premium ASN adds nothing; each premium ASN adds 1.00', () => {
    expect(value(priceIsp({ country: 'us', asn: 3356, quantity: 5, months: 1 }, BOOK)).unitPrice).toBe(50000);
    for (const asn of [7922, 20115, 7018, 701]) {
      const q = value(priceIsp({ country: 'us', asn, quantity: 5, months: 1 }, BOOK));
      expect(q.surcharge).toBe(10000);
      expect(q.unitPrice).toBe(60000);
    }
  });

  it('the surcharge applies in a long-tail country too', () => {
    expect(value(priceIsp({ country: 'br', asn: 7018, quantity: 5, months: 1 }, BOOK)).unitPrice).toBe(80000);
  });

  it('a city in a non-T1 country is city_not_selectable', () => {
    const e = failure(priceIsp({ country: 'br', city: 'saopaulo', quantity: 20, months: 1 }, BOOK));
    expect(e.code).toBe('city_not_selectable');
    expect(e.param).toBe('city');
  });

  it('a malformed city slug in a T1 country is invalid_request', () => {
    for (const city of ['New York', 'NewYork', '', 'new-york', '1city']) {
      const e = failure(priceIsp({ country: 'us', city, quantity: 20, months: 1 }, BOOK));
      expect(e.code).toBe('invalid_request');
      expect(e.param).toBe('city');
    }
  });

  it('quantity 4 and 5001 are quantity_out_of_range; 5 and 5000 are fine', () => {
    for (const quantity of [4, 5001, 0, -5, 5.5, Number.NaN]) {
      const e = failure(priceIsp({ country: 'us', quantity, months: 1 }, BOOK));
      expect(e.code).toBe('quantity_out_of_range');
      expect(e.param).toBe('quantity');
    }
    expect(value(priceIsp({ country: 'us', quantity: 5, months: 1 }, BOOK)).payable).toBe(2500);
    expect(value(priceIsp({ country: 'us', quantity: 5000, months: 1 }, BOOK)).payable).toBe(2_500_000);
  });

  it('months other than 1 or 12 is invalid_request', () => {
    for (const months of [0, 2, 6, 24, 1.5]) {
      const e = failure(priceIsp({ country: 'us', quantity: 20, months }, BOOK));
      expect(e.code).toBe('invalid_request');
      expect(e.param).toBe('months');
    }
  });

  it('a country that is not lower-case alpha-2 is invalid_request', () => {
    for (const country of ['US', 'usa', 'u', '', '12', 'u1']) {
      const e = failure(priceIsp({ country, quantity: 20, months: 1 }, BOOK));
      expect(e.code).toBe('invalid_request');
      expect(e.param).toBe('country');
    }
  });

  it('an ASN that is not a 32-bit positive integer is invalid_request', () => {
    for (const asn of [0, -1, 1.5, 4_294_967_296]) {
      const e = failure(priceIsp({ country: 'us', asn, quantity: 20, months: 1 }, BOOK));
      expect(e.code).toBe('invalid_request');
      expect(e.param).toBe('asn');
    }
  });

  it('a 4-decimal unit price rounds half-up once per line', () => {
    const book: IspPriceBook = { ...BOOK, countries: { us: 50005 } };
    // 5.0005 × 5 = 25.0025 → 25.00; yearly 300.03 (300.030) − 30.00 (30.003)
    expect(value(priceIsp({ country: 'us', quantity: 5, months: 1 }, book)).original).toBe(2500);
    const y = value(priceIsp({ country: 'us', quantity: 5, months: 12 }, book));
    expect(y.original).toBe(30003);
    expect(y.discount).toBe(3000);
    expect(y.payable).toBe(27003);
  });

  it('property: payable = original − discount, original = unit × quantity × months, discount is 10% half-up', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...T1_MARKETS, 'br', 'in', 'zz'),
        fc.option(fc.constantFrom(7922, 20115, 7018, 701, 3356, 174), { nil: undefined }),
        fc.integer({ min: ISP_QTY_MIN, max: ISP_QTY_MAX }),
        fc.constantFrom(1, 12),
        (country, asn, quantity, months) => {
          const q = value(priceIsp({ country, asn, quantity, months }, BOOK));
          const unit = ispUnitPrice(BOOK, country, asn).unitPrice;
          expect(q.unitPrice).toBe(unit);
          expect(q.original).toBe(lineAmount(unit, quantity, months));
          expect(q.discount).toBe(months === 12 ? mulDivHalfUp(q.original, 10, 100) : 0);
          expect(q.payable).toBe(q.original - q.discount);
          expect(q.payable).toBeGreaterThan(0);
          expect(q.discount).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('property: yearly never costs more than 12 monthly orders', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...T1_MARKETS, 'br'),
        fc.integer({ min: ISP_QTY_MIN, max: ISP_QTY_MAX }),
        (country, quantity) => {
          const m = value(priceIsp({ country, quantity, months: 1 }, BOOK));
          const y = value(priceIsp({ country, quantity, months: 12 }, BOOK));
          expect(y.payable).toBeLessThanOrEqual(12 * m.payable);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('property: a quantity outside 5–5000 is always quantity_out_of_range', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ max: ISP_QTY_MIN - 1 }), fc.integer({ min: ISP_QTY_MAX + 1 })),
        (quantity) => {
          expect(failure(priceIsp({ country: 'us', quantity, months: 1 }, BOOK)).code).toBe(
            'quantity_out_of_range',
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('renewalPrice', () => {
  it('prices a renewal like a purchase: 20 IPs us/7922 for a month is 120.00', () => {
    expect(value(renewalPrice({ country: 'us', asn: 7922, quantity: 20, months: 1 }, BOOK)).payable).toBe(
      12000,
    );
  });

  it('yearly renewal of a long-tail batch is 10% off', () => {
    const q = value(renewalPrice({ country: 'br', quantity: 10, months: 12 }, BOOK));
    expect(q.original).toBe(84000);
    expect(q.discount).toBe(8400);
    expect(q.payable).toBe(75600);
  });

  it('checks months and country but not the order minimum', () => {
    expect(failure(renewalPrice({ country: 'us', quantity: 20, months: 3 }, BOOK)).code).toBe(
      'invalid_request',
    );
    expect(failure(renewalPrice({ country: 'USA', quantity: 20, months: 1 }, BOOK)).param).toBe('country');
    expect(value(renewalPrice({ country: 'us', quantity: 1, months: 1 }, BOOK)).payable).toBe(500);
    expect(failure(renewalPrice({ country: 'us', quantity: 0, months: 1 }, BOOK)).code).toBe(
      'quantity_out_of_range',
    );
  });

  it('property: a renewal costs what the same purchase costs', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...T1_MARKETS, 'br', 'in'),
        fc.option(fc.constantFrom(7922, 701, 3356), { nil: undefined }),
        fc.integer({ min: ISP_QTY_MIN, max: ISP_QTY_MAX }),
        fc.constantFrom(1, 12),
        (country, asn, quantity, months) => {
          expect(value(renewalPrice({ country, asn, quantity, months }, BOOK))).toEqual(
            value(priceIsp({ country, asn, quantity, months }, BOOK)),
          );
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('replacementCharge', () => {
  it('is the replacement fee, 1.00 per IP by default', () => {
    expect(replacementCharge(BOOK)).toEqual({
      unitPrice: 10000,
      quantity: 1,
      original: 100,
      discount: 0,
      payable: 100,
    });
    expect(replacementCharge(BOOK, 3).payable).toBe(300);
  });
});
