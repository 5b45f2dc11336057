/**
 * The price book's public keys (SPEC §11 `GET|PATCH /admin/v1/price-book`): `residential.payg`,
 * `mobile.pro`, `isp.country.us`, `isp.country.default`, `isp.asn.7922`, `isp.replacement_fee`,
 * `server.s1.small.monthly`, `server.s1.small.hourly`, … and the rows they name in the price_book
 * table (product, code): `payg`, `country:us`, `country:*`, `asn:7922`, `monthly:s1.small`.
 * Pure: the mapping both ways, and which new keys an operator may add (an ISP country or ASN).
 */
import { normalizeCountry } from './country.ts';
import { PRODUCTS, type Product } from './products.ts';
import { isServerSpec } from './server-specs.ts';

export interface PriceRowKey {
  product: Product;
  code: string;
}

const SERVER_KINDS = ['monthly', 'hourly'];
const ASN_MAX = 4_294_967_295;

/** The public key of a price_book row. */
export function priceKey(product: string, code: string): string {
  if (product === 'isp') {
    if (code === 'country:*') return 'isp.country.default';
    return `isp.${code.replace(':', '.')}`;
  }
  if (product === 'server') {
    const [kind, spec] = code.split(':');
    if (kind && spec && SERVER_KINDS.includes(kind) && isServerSpec(spec)) return `server.${spec}.${kind}`;
    return `server.${code.replace(':', '.')}`;
  }
  return `${product}.${code.replace(':', '.')}`;
}

/**
 * The row a public key names (whether or not it exists), or null when the key cannot name a
 * row: an unknown product, a malformed key. Inverse of priceKey for every row it produces.
 */
export function priceRowOf(key: string): PriceRowKey | null {
  if (typeof key !== 'string' || key.length > 100) return null;
  const dot = key.indexOf('.');
  if (dot <= 0) return null;
  const product = key.slice(0, dot);
  const rest = key.slice(dot + 1);
  if (!(PRODUCTS as readonly string[]).includes(product) || rest === '') return null;
  if (!/^[a-z0-9_.]+$/.test(rest)) return null;
  const p = product as Product;
  if (p === 'isp') {
    if (rest === 'country.default') return { product: p, code: 'country:*' };
    const parts = rest.split('.');
    if (parts.length === 2) return { product: p, code: `${parts[0]}:${parts[1]}` };
    return parts.length === 1 ? { product: p, code: rest } : null;
  }
  if (p === 'server') {
    const m = /^(s1\.[a-z]+)\.([a-z]+)$/.exec(rest);
    if (m?.[1] && m[2] && isServerSpec(m[1]) && SERVER_KINDS.includes(m[2])) {
      return { product: p, code: `${m[2]}:${m[1]}` };
    }
  }
  const parts = rest.split('.');
  if (parts.length > 2) return null;
  return { product: p, code: parts.join(':') };
}

/** What a new row gets when an operator adds a key the price book does not have yet. */
export interface NewPriceRow {
  unit: string;
  minQuantity: number;
}

/**
 * Keys an operator may add (the rest must already exist): an ISP country (`isp.country.xx`, a
 * real ISO 3166 code; at least 5 IPs per order, as every country) or an ASN (`isp.asn.N`, a
 * 32-bit AS number; from 1 IP). Null: the key cannot be added.
 */
export function addablePriceRow(row: PriceRowKey): NewPriceRow | null {
  if (row.product !== 'isp') return null;
  const [kind, value] = row.code.split(':');
  if (kind === 'country' && value && value !== '*' && normalizeCountry(value) === value) {
    return { unit: 'ip_month', minQuantity: 5 };
  }
  if (kind === 'asn' && value && /^[1-9][0-9]{0,9}$/.test(value) && Number(value) <= ASN_MAX) {
    return { unit: 'ip_month', minQuantity: 1 };
  }
  return null;
}
