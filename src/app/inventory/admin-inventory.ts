/**
 * Reading ISP stock (SPEC §6): operators see every place (country × city × ASN) with its IPs by
 * status; customers see what they can buy — available counts per ASN, the cities on offer and the
 * price per IP per month from the price book.
 */
import { countAvailable, countStock, type StockCount } from '../../db/isp-inventory.ts';
import { listPrices } from '../../db/price-book.ts';
import { normalizeCountry } from '../../domain/country.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { isCitySlug } from '../../domain/gazetteer.ts';
import { isAsn, ispPriceBookFromRows, ispUnitPrice, isT1Market } from '../../domain/isp-pricing.ts';
import type { Price4 } from '../../domain/money.ts';
import type { Deps } from '../deps.ts';

export interface InventoryFilter {
  country?: string;
  city?: string;
  asn?: number;
}

interface CheckedFilter {
  country?: string;
  city?: string;
  asn?: number;
}

/** Country: ISO 3166 alpha-2 (either case); city: a slug (either case); asn: 1 to 2^32 − 1. */
function checkFilter(f: InventoryFilter): Result<CheckedFilter> {
  const out: CheckedFilter = {};
  if (f.country !== undefined) {
    const c = normalizeCountry(f.country);
    if (!c) {
      return err('invalid_request', `country "${f.country}" is not an ISO 3166 alpha-2 code`, {
        param: 'country',
      });
    }
    out.country = c;
  }
  if (f.city !== undefined) {
    const city = f.city.trim().toLowerCase();
    if (!isCitySlug(city)) {
      return err('invalid_request', 'city must be a lower-case slug without spaces, like newyork', {
        param: 'city',
      });
    }
    out.city = city;
  }
  if (f.asn !== undefined) {
    if (!isAsn(f.asn))
      return err('invalid_request', 'asn must be an integer from 1 to 4294967295', { param: 'asn' });
    out.asn = f.asn;
  }
  return ok(out);
}

export interface StockTotals {
  available: number;
  held: number;
  allocated: number;
  retired: number;
}

export interface AdminInventory {
  filter: CheckedFilter;
  totals: StockTotals;
  places: StockCount[];
}

/** GET /admin/v1/inventory: every place with IPs, by status. */
export async function adminInventory(deps: Deps, filter: InventoryFilter): Promise<Result<AdminInventory>> {
  const checked = checkFilter(filter);
  if (!checked.ok) return checked;
  const f = checked.value;
  const places = await countStock(deps.db, {
    ...(f.country ? { countries: [f.country] } : {}),
    ...(f.city ? { city: f.city } : {}),
    ...(f.asn !== undefined ? { asn: f.asn } : {}),
  });
  const totals: StockTotals = { available: 0, held: 0, allocated: 0, retired: 0 };
  for (const p of places) {
    totals.available += p.available;
    totals.held += p.held;
    totals.allocated += p.allocated;
    totals.retired += p.retired;
  }
  return ok({ filter: f, totals, places });
}

export interface CityStock {
  city: string;
  available: number;
}

export interface AsnOffer {
  asn: number;
  available: number;
  /** per IP per month: country price + premium surcharge */
  unitPrice: Price4;
  surcharge: Price4;
  cities: CityStock[];
}

export interface CountryOffer {
  country: string;
  /** a buyer may pick the city here */
  t1Market: boolean;
  available: number;
  /** per IP per month without a premium surcharge */
  basePrice: Price4;
  cities: CityStock[];
  asns: AsnOffer[];
}

function byCity(rows: readonly { city: string; available: number }[]): CityStock[] {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.city, (m.get(r.city) ?? 0) + r.available);
  return [...m.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([city, available]) => ({ city, available }));
}

/**
 * GET /v1/isp/inventory: with a country, that country's offer (zero stock is an offer of 0 at
 * the country's price); without one, every country that has stock, sorted by code.
 */
export async function customerInventory(
  deps: Deps,
  filter: InventoryFilter,
): Promise<Result<{ country: string | null; offers: CountryOffer[] }>> {
  const checked = checkFilter(filter);
  if (!checked.ok) return checked;
  const f = checked.value;
  const [rows, prices] = await Promise.all([
    countAvailable(deps.db, {
      ...(f.country ? { countries: [f.country] } : {}),
      ...(f.city ? { city: f.city } : {}),
      ...(f.asn !== undefined ? { asn: f.asn } : {}),
    }),
    listPrices(deps.db, 'isp'),
  ]);
  const book = ispPriceBookFromRows(prices);
  const countries = f.country ? [f.country] : [...new Set(rows.map((r) => r.country))].sort();
  const offers = countries.map((country): CountryOffer => {
    const mine = rows.filter((r) => r.country === country);
    const asns = [...new Set(mine.map((r) => r.asn))].sort((a, b) => a - b);
    return {
      country,
      t1Market: isT1Market(country),
      available: mine.reduce((n, r) => n + r.available, 0),
      basePrice: ispUnitPrice(book, country).basePrice,
      cities: byCity(mine),
      asns: asns.map((asn) => {
        const at = mine.filter((r) => r.asn === asn);
        const p = ispUnitPrice(book, country, asn);
        return {
          asn,
          available: at.reduce((n, r) => n + r.available, 0),
          unitPrice: p.unitPrice,
          surcharge: p.surcharge,
          cities: byCity(at),
        };
      }),
    };
  });
  return ok({ country: f.country ?? null, offers });
}
