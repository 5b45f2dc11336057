/**
 * ISP static IP pricing (SPEC §3, §6): per IP per month by country, plus a surcharge for premium
 * carriers (ASNs); yearly billing is 10% off. Pure: the price book comes in as an argument (it
 * lives in the database, product 'isp', and operators edit it).
 */
import { type DomainError, err, ok, type Result } from './errors.ts';
import { isCitySlug } from './gazetteer.ts';
import { type Cents, lineAmount, mulDivHalfUp, type Price4 } from './money.ts';

/** Markets where the buyer may pick a city. */
export const T1_MARKETS = ['us', 'ca', 'gb', 'de', 'fr', 'nl', 'jp', 'sg', 'au'] as const;
export type T1Market = (typeof T1_MARKETS)[number];

export function isT1Market(country: string): country is T1Market {
  return (T1_MARKETS as readonly string[]).includes(country);
}

/** Quantity per ISP order. */
export const ISP_QTY_MIN = 5;
export const ISP_QTY_MAX = 5000;

export type IspMonths = 1 | 12;

/** Yearly billing (`months: 12`) is this many percent off the original price. */
const YEARLY_DISCOUNT_PERCENT = 10;

/** ISO 3166 alpha-2, lower case. */
const COUNTRY_CODE = /^[a-z]{2}$/;
/** ASNs are 32-bit; 0 is reserved. */
export const ASN_MAX = 4_294_967_295;

export function isAsn(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 && n <= ASN_MAX;
}

export interface IspPriceBook {
  /** price per IP per month by country code */
  countries: Record<string, Price4>;
  /** price per IP per month for every country not in `countries` */
  longTail: Price4;
  /** surcharge per IP per month by premium ASN */
  asnSurcharges: Record<number, Price4>;
  /** one paid replacement, per IP */
  replacementFee: Price4;
}

/** The spec's defaults (the rows migration 004 seeds). */
export const DEFAULT_ISP_PRICE_BOOK: IspPriceBook = {
  countries: {
    us: 50000,
    ca: 55000,
    gb: 55000,
    de: 55000,
    fr: 55000,
    nl: 50000,
    jp: 60000,
    sg: 60000,
    au: 65000,
  },
  longTail: 70000,
  asnSurcharges: { 7922: 10000, 20115: 10000, 7018: 10000, 701: 10000 },
  replacementFee: 10000,
};

const COUNTRY_ROW = /^country:([a-z]{2})$/;
const ASN_ROW = /^asn:([1-9]\d{0,9})$/;

/**
 * Builds the ISP price book from the price_book rows of product 'isp': codes `country:<cc>`,
 * `country:*` (long tail), `asn:<n>` (surcharge) and `replacement_fee`. Rows with another code,
 * or a price that is not a non-negative safe integer, are ignored. If the book lacks the long-tail
 * price or the replacement fee, the spec's default stands in (migration 004 seeds both, so this
 * only happens when an operator deleted the row).
 */
export function ispPriceBookFromRows(rows: readonly { code: string; unitPrice4: number }[]): IspPriceBook {
  const countries: Record<string, Price4> = {};
  const asnSurcharges: Record<number, Price4> = {};
  let longTail: Price4 | undefined;
  let replacementFee: Price4 | undefined;
  for (const { code, unitPrice4 } of rows) {
    if (!Number.isSafeInteger(unitPrice4) || unitPrice4 < 0) continue;
    if (code === 'country:*') {
      longTail = unitPrice4;
      continue;
    }
    if (code === 'replacement_fee') {
      replacementFee = unitPrice4;
      continue;
    }
    const c = COUNTRY_ROW.exec(code);
    if (c) {
      countries[c[1]!] = unitPrice4;
      continue;
    }
    const a = ASN_ROW.exec(code);
    if (a) {
      const asn = Number(a[1]);
      if (isAsn(asn)) asnSurcharges[asn] = unitPrice4;
    }
  }
  return {
    countries,
    longTail: longTail ?? DEFAULT_ISP_PRICE_BOOK.longTail,
    asnSurcharges,
    replacementFee: replacementFee ?? DEFAULT_ISP_PRICE_BOOK.replacementFee,
  };
}

export interface IspUnitPrice {
  /** the country's price, or the long-tail price */
  basePrice: Price4;
  /** premium-ASN surcharge, 0 when the ASN is not premium or none was asked for */
  surcharge: Price4;
  /** basePrice + surcharge: per IP per month */
  unitPrice: Price4;
  longTail: boolean;
}

/** Per IP per month for a country (and ASN). Assumes a well-formed country code. */
export function ispUnitPrice(book: IspPriceBook, country: string, asn?: number): IspUnitPrice {
  const listed = Object.hasOwn(book.countries, country);
  const basePrice = listed ? book.countries[country]! : book.longTail;
  const surcharge =
    asn !== undefined && Object.hasOwn(book.asnSurcharges, asn) ? book.asnSurcharges[asn]! : 0;
  return { basePrice, surcharge, unitPrice: basePrice + surcharge, longTail: !listed };
}

export interface IspQuote {
  /** per IP per month, surcharge included */
  unitPrice: Price4;
  basePrice: Price4;
  surcharge: Price4;
  quantity: number;
  months: IspMonths;
  /** unitPrice × quantity × months, rounded half-up to the cent */
  original: Cents;
  /** yearly: 10% of original, half-up; monthly: 0 */
  discount: Cents;
  /** original − discount */
  payable: Cents;
}

type Check = { ok: false; error: DomainError } | null;

function checkCountry(country: unknown): Check {
  if (typeof country !== 'string' || !COUNTRY_CODE.test(country)) {
    return err('invalid_request', 'country must be an ISO 3166 alpha-2 code in lower case', {
      param: 'country',
    });
  }
  return null;
}

function checkMonths(months: unknown): Check {
  if (months !== 1 && months !== 12) {
    return err('invalid_request', 'months must be 1 or 12', { param: 'months' });
  }
  return null;
}

function checkAsn(asn: unknown): Check {
  if (asn !== undefined && asn !== null && !isAsn(asn)) {
    return err('invalid_request', `asn must be an integer from 1 to ${ASN_MAX}`, { param: 'asn' });
  }
  return null;
}

function quote(
  book: IspPriceBook,
  country: string,
  asn: number | undefined,
  quantity: number,
  months: IspMonths,
): IspQuote {
  const { basePrice, surcharge, unitPrice } = ispUnitPrice(book, country, asn);
  const original = lineAmount(unitPrice, quantity, months);
  const discount = months === 12 ? mulDivHalfUp(original, YEARLY_DISCOUNT_PERCENT, 100) : 0;
  return {
    unitPrice,
    basePrice,
    surcharge,
    quantity,
    months,
    original,
    discount,
    payable: original - discount,
  };
}

/**
 * Prices a new ISP order `{country, city?, asn?, quantity, months}`. Checks, in this order:
 * - country: lower-case ISO alpha-2 → else invalid_request (param country);
 * - months: 1 or 12 → else invalid_request (param months);
 * - asn (optional): an integer 1–2^32−1 → else invalid_request (param asn);
 * - city (optional): only in a T1 market → else city_not_selectable (param city); a malformed
 *   slug in a T1 market → invalid_request (param city). Whether the city has stock is not a
 *   pricing question;
 * - quantity: an integer ISP_QTY_MIN–ISP_QTY_MAX → else quantity_out_of_range (param quantity).
 * So `us`/`newyork`/7922 × 20 × 1 month is (5.00 + 1.00) × 20 = 120.00.
 */
export function priceIsp(
  input: { country: string; city?: string; asn?: number; quantity: number; months: number },
  book: IspPriceBook,
): Result<IspQuote> {
  const { country, city, asn, quantity, months } = input;
  const bad = checkCountry(country) ?? checkMonths(months) ?? checkAsn(asn);
  if (bad) return bad;
  if (city !== undefined && city !== null) {
    if (!isT1Market(country)) {
      return err('city_not_selectable', `a city can be chosen only in ${T1_MARKETS.join(', ')}`, {
        param: 'city',
      });
    }
    if (!isCitySlug(city)) {
      return err('invalid_request', 'city must be a lower-case slug without spaces, like newyork', {
        param: 'city',
      });
    }
  }
  if (!Number.isSafeInteger(quantity) || quantity < ISP_QTY_MIN || quantity > ISP_QTY_MAX) {
    return err('quantity_out_of_range', `quantity must be an integer from ${ISP_QTY_MIN} to ${ISP_QTY_MAX}`, {
      param: 'quantity',
      detail: { min: ISP_QTY_MIN, max: ISP_QTY_MAX },
    });
  }
  return ok(quote(book, country, asn ?? undefined, quantity, months as IspMonths));
}

/**
 * Prices renewing a batch of `quantity` IPs for `months` at today's price book: the same formula
 * and checks as priceIsp except that the city is not looked at (the batch already has its
 * place) and the quantity only needs to be an integer 1–ISP_QTY_MAX (the order minimum is a
 * purchase rule; a batch keeps its size). Pass the batch's recorded country and ASN.
 */
export function renewalPrice(
  input: { country: string; asn?: number; quantity: number; months: number },
  book: IspPriceBook,
): Result<IspQuote> {
  const { country, asn, quantity, months } = input;
  const bad = checkCountry(country) ?? checkMonths(months) ?? checkAsn(asn);
  if (bad) return bad;
  if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > ISP_QTY_MAX) {
    return err('quantity_out_of_range', `a batch holds 1 to ${ISP_QTY_MAX} IPs`, { param: 'quantity' });
  }
  return ok(quote(book, country, asn ?? undefined, quantity, months as IspMonths));
}

/** The charge for `count` paid replacements: replacement fee × count, no discount. */
export function replacementCharge(
  book: IspPriceBook,
  count = 1,
): { unitPrice: Price4; quantity: number; original: Cents; discount: Cents; payable: Cents } {
  const original = lineAmount(book.replacementFee, count);
  return { unitPrice: book.replacementFee, quantity: count, original, discount: 0, payable: original };
}
