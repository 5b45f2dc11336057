import { describe, expect, it } from 'vitest';
import { addablePriceRow, priceKey, priceRowOf } from './price-keys.ts';

describe('price book keys (SPEC §11)', () => {
  it.each([
    ['residential', 'payg', 'residential.payg'],
    ['mobile', 'pro', 'mobile.pro'],
    ['isp', 'country:us', 'isp.country.us'],
    ['isp', 'country:*', 'isp.country.default'],
    ['isp', 'asn:7922', 'isp.asn.7922'],
    ['isp', 'replacement_fee', 'isp.replacement_fee'],
    ['server', 'monthly:s1.small', 'server.s1.small.monthly'],
    ['server', 'hourly:s1.xlarge', 'server.s1.xlarge.hourly'],
    ['server', 'traffic:gb', 'server.traffic.gb'],
  ])('%s %s ↔ %s', (product, code, key) => {
    expect(priceKey(product, code)).toBe(key);
    expect(priceRowOf(key)).toEqual({ product, code });
  });

  it.each([
    'gold.payg',
    'residential',
    'residential.',
    '.payg',
    'isp.country.us.ny',
    'server.s1.small.weekly.x',
    'residential.PAYG',
    'isp.asn.79 22',
    'x'.repeat(101),
  ])('%s names no row', (key) => {
    expect(priceRowOf(key)).toBeNull();
  });

  it('only an ISP country or ASN may be added', () => {
    expect(addablePriceRow({ product: 'isp', code: 'country:br' })).toEqual({
      unit: 'ip_month',
      minQuantity: 5,
    });
    expect(addablePriceRow({ product: 'isp', code: 'asn:13335' })).toEqual({
      unit: 'ip_month',
      minQuantity: 1,
    });
    expect(addablePriceRow({ product: 'isp', code: 'country:zz' })).toBeNull();
    expect(addablePriceRow({ product: 'isp', code: 'country:*' })).toBeNull();
    expect(addablePriceRow({ product: 'isp', code: 'asn:0' })).toBeNull();
    expect(addablePriceRow({ product: 'isp', code: 'asn:4294967296' })).toBeNull();
    expect(addablePriceRow({ product: 'residential', code: 'gold' })).toBeNull();
    expect(addablePriceRow({ product: 'server', code: 'monthly:s1.huge' })).toBeNull();
  });
});
