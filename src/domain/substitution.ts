/**
 * Short-stock substitution (SPEC §6, `on_shortage: "substitute"`): when the exact request cannot
 * be served, the nearest place with stock in the same country is used instead — another ASN in
 * the same city first, then the nearest city by distance. The order is delivered in full from
 * one place, so a place qualifies only with at least `quantity` IPs available. Deterministic:
 * the answer does not depend on the order of `stock`.
 */
import { distanceKm, isLatLon, type LatLon, lookupCity } from './gazetteer.ts';

export interface SubstituteRequest {
  country: string;
  city?: string;
  asn?: number;
  quantity: number;
}

/** Available stock of one place (city × ASN) of the requested country. */
export interface StockPlace {
  city: string;
  asn: number;
  available: number;
  /** the place's own coordinates when its rows carry them; else the gazetteer's are used */
  lat: number | null;
  lon: number | null;
  /** when given, a place of another country is ignored (callers should not pass any) */
  country?: string;
}

/**
 * - `same_city_other_asn`: the requested city, another ASN;
 * - `nearest_city`: the nearest other city (same ASN preferred at equal distance);
 * - `other_asn`: the request named no city, only an ASN, so any city with another ASN will do.
 */
export type SubstitutionReason = 'same_city_other_asn' | 'nearest_city' | 'other_asn';

export interface Substitute {
  city: string;
  asn: number;
  /** from the requested city, km with one decimal; 0 for the same city; null when unmeasurable */
  distanceKm: number | null;
  reason: SubstitutionReason;
  /** the place's available count, for the audit record */
  available: number;
}

interface Candidate {
  place: StockPlace;
  /** distance of the place's city from the origin; Infinity when unknown */
  cityDistance: number;
}

function byMoreStockThenAsn(a: StockPlace, b: StockPlace): number {
  return b.available - a.available || a.asn - b.asn;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function round1(km: number): number {
  return Math.round(km * 10) / 10;
}

/**
 * Picks the substitute for a request the exact stock could not serve, or null when no place of
 * the country can deliver the whole quantity. Call it only after the exact request failed:
 * places that match the request exactly (its city if named, its ASN if named) are not
 * substitutes and are skipped.
 *
 * 1. Request with a city and an ASN: another ASN in the same city, the one with the most stock
 *    (ties: lowest ASN).
 * 2. Request with a city: the nearest other city, by distance from `origin` (default: the
 *    gazetteer's coordinates of the requested city) to the place's coordinates (its own, else
 *    the gazetteer's). At equal distance (the same city): the requested ASN first, then more
 *    stock, then city name, then lowest ASN. Places whose distance cannot be measured come last.
 * 3. Request without a city (only an ASN): the place with the most stock, ties by city name then
 *    lowest ASN.
 */
export function chooseSubstitute(
  request: SubstituteRequest,
  stock: readonly StockPlace[],
  origin?: LatLon,
): Substitute | null {
  const { country, city, asn, quantity } = request;
  if (!Number.isSafeInteger(quantity) || quantity < 1) return null;
  const exact = (p: StockPlace) =>
    (city === undefined || p.city === city) && (asn === undefined || p.asn === asn);
  const eligible = stock.filter(
    (p) =>
      (p.country === undefined || p.country === country) &&
      Number.isSafeInteger(p.available) &&
      p.available >= quantity &&
      !exact(p),
  );
  if (eligible.length === 0) return null;

  if (city === undefined) {
    const best = [...eligible].sort(
      (a, b) => b.available - a.available || compareText(a.city, b.city) || a.asn - b.asn,
    )[0]!;
    return {
      city: best.city,
      asn: best.asn,
      distanceKm: null,
      reason: 'other_asn',
      available: best.available,
    };
  }

  const sameCity = eligible.filter((p) => p.city === city);
  if (sameCity.length > 0) {
    const best = sameCity.sort(byMoreStockThenAsn)[0]!;
    return {
      city: best.city,
      asn: best.asn,
      distanceKm: 0,
      reason: 'same_city_other_asn',
      available: best.available,
    };
  }

  const from = origin && isLatLon(origin.lat, origin.lon) ? origin : lookupCity(country, city);
  // a city's distance is the smallest of its places' (rows of one city may carry own coordinates)
  const cityDistance = new Map<string, number>();
  for (const p of eligible) {
    const at = isLatLon(p.lat, p.lon) ? { lat: p.lat!, lon: p.lon! } : lookupCity(country, p.city);
    const d = from && at ? distanceKm(from, at) : Number.POSITIVE_INFINITY;
    const seen = cityDistance.get(p.city);
    if (seen === undefined || d < seen) cityDistance.set(p.city, d);
  }
  const candidates: Candidate[] = eligible.map((place) => ({
    place,
    cityDistance: cityDistance.get(place.city)!,
  }));
  candidates.sort(
    (a, b) =>
      (a.cityDistance === b.cityDistance ? 0 : a.cityDistance < b.cityDistance ? -1 : 1) ||
      Number(b.place.asn === asn) - Number(a.place.asn === asn) ||
      b.place.available - a.place.available ||
      compareText(a.place.city, b.place.city) ||
      a.place.asn - b.place.asn,
  );
  const best = candidates[0]!;
  return {
    city: best.place.city,
    asn: best.place.asn,
    distanceKm: Number.isFinite(best.cityDistance) ? round1(best.cityDistance) : null,
    reason: 'nearest_city',
    available: best.place.available,
  };
}
