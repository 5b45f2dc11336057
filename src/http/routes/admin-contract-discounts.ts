/** Operators: an account's contract discounts (SPEC §11, PUT replaces the whole set). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findContractDiscounts } from '../../app/billing/find-contract-discounts.ts';
import { setContractDiscounts } from '../../app/billing/set-contract-discounts.ts';
import type { Deps } from '../../app/deps.ts';
import { contractDiscountsSchema, presentContractDiscounts } from '../../contract/contract-discounts.ts';
import { percentToBasisPoints } from '../../domain/contract-discount.ts';
import { reply } from '../errors.ts';
import { idParam } from '../schemas.ts';

/** A percent 0–100 with at most two decimals, parsed into basis points during validation. */
const percentBp = z
  .number()
  .min(0)
  .max(100)
  .transform((v, ctx) => {
    const bp = percentToBasisPoints(v);
    if (bp === null) {
      ctx.addIssue({ code: 'custom', message: 'a percent from 0 to 100 with at most two decimals' });
      return z.NEVER;
    }
    return bp;
  })
  .describe('percent 0–100, at most two decimals; 0 or omitted: no contract discount');

const discountsBody = z.strictObject({
  residential: percentBp.optional(),
  mobile: percentBp.optional(),
  isp: percentBp.optional(),
  server: percentBp.optional(),
  reserved_instance: percentBp.optional(),
});

export function adminContractDiscountRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.put(
    '/admin/v1/accounts/:id/contract-discounts',
    {
      schema: {
        operationId: 'setContractDiscounts',
        tags: ['admin'],
        summary:
          "Replace an account's contract discounts: products not named have none; later orders, quotes and renewals use them",
        params: idParam,
        body: discountsBody,
        response: { 200: contractDiscountsSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const b = req.body;
      const discounts = Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined));
      return reply(
        res,
        await setContractDiscounts(deps, { accountId: req.params.id, discounts }),
        presentContractDiscounts,
      );
    },
  );
  r.get(
    '/admin/v1/accounts/:id/contract-discounts',
    {
      schema: {
        operationId: 'getContractDiscounts',
        tags: ['admin'],
        summary: "An account's contract discounts (0: none)",
        params: idParam,
        response: { 200: contractDiscountsSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await findContractDiscounts(deps, req.params.id), presentContractDiscounts),
  );
}
