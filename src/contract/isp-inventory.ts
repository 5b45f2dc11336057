/** The customer's view of ISP stock (SPEC §6): what can be bought now, where, and at what price. */
import { z } from 'zod';
import type { Price4 } from '../domain/money.ts';
import { unitPrice } from './fields.ts';
import { price } from './json.ts';
import { listOf } from './list.ts';

const cityStock = z.object({ city: z.string(), available: z.number().int() });

const ispOfferSchema = z
  .object({
    object: z.literal('isp_inventory'),
    country: z.string(),
    t1_market: z.boolean(),
    city_selectable: z.boolean().describe('an order may name a city (T1 markets)'),
    available: z.number().int(),
    price_per_ip_usd: unitPrice.describe('per IP per month, 1-month term, without a premium surcharge'),
    cities: z.array(cityStock),
    asns: z.array(
      z.object({
        asn: z.number().int(),
        available: z.number().int(),
        premium: z.boolean().describe('a premium carrier: its price carries a surcharge'),
        price_per_ip_usd: unitPrice.describe('per IP per month, surcharge included'),
        cities: z.array(cityStock),
      }),
    ),
  })
  .meta({ id: 'IspOffer' });

/** GET /v1/isp/inventory: one country's offer when the query names one, else every country with stock. */
export const ispInventorySchema = z.union([ispOfferSchema, listOf(ispOfferSchema)]);

interface CityInput {
  city: string;
  available: number;
}

export function presentOffer(o: {
  country: string;
  t1Market: boolean;
  available: number;
  basePrice: Price4;
  cities: CityInput[];
  asns: { asn: number; available: number; unitPrice: Price4; surcharge: Price4; cities: CityInput[] }[];
}): z.infer<typeof ispOfferSchema> {
  const cities = (cs: CityInput[]) => cs.map((c) => ({ city: c.city, available: c.available }));
  return {
    object: 'isp_inventory',
    country: o.country,
    t1_market: o.t1Market,
    city_selectable: o.t1Market,
    available: o.available,
    price_per_ip_usd: price(o.basePrice),
    cities: cities(o.cities),
    asns: o.asns.map((a) => ({
      asn: a.asn,
      available: a.available,
      premium: a.surcharge > 0,
      price_per_ip_usd: price(a.unitPrice),
      cities: cities(a.cities),
    })),
  };
}
