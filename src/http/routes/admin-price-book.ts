/** Operators: the price book (SPEC §11 `GET|PATCH /admin/v1/price-book`). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { editPriceBook } from '../../app/price-book/edit-price-book.ts';
import { listPriceBookEntries } from '../../app/price-book/list-price-book.ts';
import { listOf, whole } from '../../contract/list.ts';
import {
  presentPriceBookEntry,
  presentPriceBookVersion,
  priceBookEntrySchema,
  priceBookVersionSchema,
} from '../../contract/price-book.ts';
import { MoneyError, parsePrice4 } from '../../domain/money.ts';
import { reply } from '../errors.ts';

/** A unit price in USD (≥ 0, at most 4 decimals), parsed into Price4 during validation. */
const price4 = z
  .number()
  .min(0)
  .transform((v, ctx) => {
    try {
      return parsePrice4(v);
    } catch (e) {
      if (!(e instanceof MoneyError)) throw e;
      ctx.addIssue({ code: 'custom', message: 'a price in USD with at most 4 decimals' });
      return z.NEVER;
    }
  })
  .describe('USD per unit, at most 4 decimals');

const editBody = z.strictObject({
  prices: z
    .record(z.string().min(1).max(100), price4)
    .describe('public key → new unit price in USD, e.g. {"residential.payg": 4.20}'),
  reason: z.string().trim().min(1).max(500).optional().describe('why, kept with the change'),
});

export function adminPriceBookRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get(
    '/admin/v1/price-book',
    {
      schema: {
        operationId: 'listPriceBook',
        tags: ['admin'],
        summary:
          'Every price with its key (residential.payg, isp.country.us, isp.asn.7922, server.s1.small.hourly, …)',
        response: { 200: listOf(priceBookEntrySchema) },
      },
    },
    async () => whole((await listPriceBookEntries(deps)).entries, presentPriceBookEntry),
  );
  r.patch(
    '/admin/v1/price-book',
    {
      schema: {
        operationId: 'editPriceBook',
        tags: ['admin'],
        summary:
          'Set prices by key (all or nothing) → the new version; later quotes and orders use them, earlier orders keep theirs',
        body: editBody,
        response: { 200: priceBookVersionSchema },
      },
    },
    async (req, res) =>
      reply(
        res,
        await editPriceBook(deps, { prices: req.body.prices, reason: req.body.reason }),
        presentPriceBookVersion,
      ),
  );
}
