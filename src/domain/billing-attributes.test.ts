import { describe, expect, it } from 'vitest';
import {
  BILLING_CATALOG,
  billingAttributes,
  CONFIGURATIONS,
  offersPaymentMode,
  paymentModes,
  SETTLEMENTS,
} from './billing-attributes.ts';
import { PRODUCTS } from './products.ts';

describe('billing attributes of the catalog (SPEC §3, §5, §7)', () => {
  it('every product has billing attributes, and only the catalog products do', () => {
    expect(Object.keys(BILLING_CATALOG).sort()).toEqual([...PRODUCTS].sort());
    for (const p of PRODUCTS) expect(paymentModes(p).length, p).toBeGreaterThan(0);
  });

  it.each([
    ['residential', ['prepaid']],
    ['mobile', ['prepaid']],
    ['isp', ['prepaid']],
    ['server', ['prepaid', 'postpaid']],
    ['reserved_instance', ['prepaid']],
  ] as const)('%s is paid %j', (product, modes) => {
    expect(paymentModes(product)).toEqual(modes);
    for (const m of modes) expect(offersPaymentMode(product, m)).toBe(true);
  });

  it('bandwidth, ISP and coupons are prepaid only', () => {
    for (const p of ['residential', 'mobile', 'isp', 'reserved_instance'] as const) {
      expect(billingAttributes(p, 'prepaid')).toEqual({ paymentMode: 'prepaid' });
      expect(billingAttributes(p, 'postpaid')).toBeNull();
      expect(offersPaymentMode(p, 'postpaid')).toBe(false);
    }
  });

  it('servers: prepaid (monthly / yearly), or postpaid hourly with a periodic configuration', () => {
    expect(billingAttributes('server', 'prepaid')).toEqual({ paymentMode: 'prepaid' });
    expect(billingAttributes('server', 'postpaid')).toEqual({
      paymentMode: 'postpaid',
      settlement: 'hourly',
      configuration: 'periodic',
    });
  });

  it("a server's traffic is postpaid, metered and settled daily", () => {
    expect(billingAttributes('server', 'postpaid', 'traffic')).toEqual({
      paymentMode: 'postpaid',
      settlement: 'daily',
      configuration: 'metered',
    });
    expect(billingAttributes('server', 'prepaid', 'traffic')).toBeNull();
    expect(billingAttributes('residential', 'postpaid', 'traffic')).toBeNull();
  });

  it('every postpaid option names a known cycle and configuration; one option per (charge, mode)', () => {
    for (const p of PRODUCTS) {
      const seen = new Set<string>();
      for (const o of BILLING_CATALOG[p]) {
        const key = `${o.charge}/${o.attributes.paymentMode}`;
        expect(seen.has(key), `${p} ${key}`).toBe(false);
        seen.add(key);
        if (o.attributes.paymentMode === 'postpaid') {
          expect(SETTLEMENTS).toContain(o.attributes.settlement);
          expect(CONFIGURATIONS).toContain(o.attributes.configuration);
        }
      }
    }
  });
});
