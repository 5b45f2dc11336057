/**
 * Billing attributes of the catalog's products (SPEC §3, §5 "Balance rules at ordering", §7; the
 * billing-center document's 下单余额限制): how each product may be paid — prepaid, or postpaid with
 * a settlement cycle (monthly / daily / hourly) and a configuration type (metered / periodic).
 * The balance rules (payment-split.ts checkBalanceRule) take these attributes. Pure data.
 */
import type { Product } from './products.ts';

export const PAYMENT_MODES = ['prepaid', 'postpaid'] as const;
export type PaymentMode = (typeof PAYMENT_MODES)[number];

export const SETTLEMENTS = ['monthly', 'daily', 'hourly'] as const;
export type Settlement = (typeof SETTLEMENTS)[number];

export const CONFIGURATIONS = ['metered', 'periodic'] as const;
export type Configuration = (typeof CONFIGURATIONS)[number];

/** Prepaid: paid when ordered. Postpaid: billed afterwards, every settlement cycle. */
export type BillingAttributes =
  | { paymentMode: 'prepaid' }
  | { paymentMode: 'postpaid'; settlement: Settlement; configuration: Configuration };

/** What a product's charge is for: the product itself, or (servers) the traffic it uses. */
export type Charge = 'base' | 'traffic';

export interface BillingOption {
  charge: Charge;
  attributes: BillingAttributes;
  /** what the customer buys this way, for people reading the catalog */
  description: string;
}

const PREPAID = { paymentMode: 'prepaid' } as const satisfies BillingAttributes;

/**
 * The catalog: every product with the ways it may be paid. Bandwidth (residential, mobile), ISP
 * and reserved-instance coupons are prepaid only; servers are prepaid monthly or yearly, or
 * postpaid billed hourly with a periodic configuration (so the balance threshold applies), and a
 * server's traffic is postpaid, metered and settled daily.
 */
export const BILLING_CATALOG: { readonly [P in Product]: readonly BillingOption[] } = {
  residential: [{ charge: 'base', attributes: PREPAID, description: 'GB of residential traffic, paid once' }],
  mobile: [{ charge: 'base', attributes: PREPAID, description: 'GB of mobile traffic, paid once' }],
  isp: [{ charge: 'base', attributes: PREPAID, description: 'static ISP IPs for 1 or 12 months' }],
  server: [
    { charge: 'base', attributes: PREPAID, description: 'a server for 1 or 12 months (periodic)' },
    {
      charge: 'base',
      attributes: { paymentMode: 'postpaid', settlement: 'hourly', configuration: 'periodic' },
      description: 'a server billed at the end of each hour',
    },
    {
      charge: 'traffic',
      attributes: { paymentMode: 'postpaid', settlement: 'daily', configuration: 'metered' },
      description: "a server's traffic, metered and settled daily",
    },
  ],
  reserved_instance: [
    { charge: 'base', attributes: PREPAID, description: 'a 1- or 3-year reserved-instance coupon' },
  ],
};

/** The payment modes a product can be ordered with (its own charge, not its traffic). */
export function paymentModes(product: Product): PaymentMode[] {
  const modes = BILLING_CATALOG[product]
    .filter((o) => o.charge === 'base')
    .map((o) => o.attributes.paymentMode);
  return PAYMENT_MODES.filter((m) => modes.includes(m));
}

/**
 * The billing attributes of `product` paid with `mode` (for `charge`, the product itself unless
 * said otherwise); null when the catalog does not offer that combination.
 */
export function billingAttributes(
  product: Product,
  mode: PaymentMode,
  charge: Charge = 'base',
): BillingAttributes | null {
  const option = BILLING_CATALOG[product].find(
    (o) => o.charge === charge && o.attributes.paymentMode === mode,
  );
  return option ? option.attributes : null;
}

/** True when the catalog offers `product` paid with `mode`. */
export function offersPaymentMode(product: Product, mode: PaymentMode): boolean {
  return billingAttributes(product, mode) !== null;
}
