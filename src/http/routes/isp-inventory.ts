/** The customer's view of ISP stock (SPEC §6): what can be bought now, where, and at what price. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { customerInventory, type InventoryFilter } from '../../app/inventory/admin-inventory.ts';
import { ispInventorySchema, presentOffer } from '../../contract/isp-inventory.ts';
import { whole } from '../../contract/list.ts';
import { reply } from '../errors.ts';

/** ?country=&city=&asn= — an empty value means no filter. */
export const inventoryQuery = z.object({
  country: z.string().max(16).optional().describe('ISO 3166 alpha-2 country code, like us'),
  city: z.string().max(64).optional().describe('city slug, like newyork'),
  asn: z
    .string()
    .regex(/^\d{0,10}$/, 'must be an integer')
    .optional()
    .describe('carrier ASN, like 7922'),
});

export function inventoryFilter(q: z.infer<typeof inventoryQuery>): InventoryFilter {
  const f: InventoryFilter = {};
  if (q.country) f.country = q.country;
  if (q.city) f.city = q.city;
  if (q.asn) f.asn = Number(q.asn);
  return f;
}

export function ispInventoryRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/v1/isp/inventory',
    {
      schema: {
        operationId: 'getIspInventory',
        tags: ['isp'],
        summary:
          'Available ISP IPs per ASN with the cities on offer and the price per IP per month (1-month term, premium surcharge included); without a country, every country with stock',
        querystring: inventoryQuery,
        response: { 200: ispInventorySchema },
      },
    },
    async (req, res) =>
      reply(res, await customerInventory(deps, inventoryFilter(req.query)), (v) =>
        v.country === null ? whole(v.offers, presentOffer) : presentOffer(v.offers[0]!),
      ),
  );
}
