/** Billing: top-ups of the balance from the default card (SPEC §5). Transactions: customer.ts. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { topUp } from '../../app/billing/top-up.ts';
import type { Deps } from '../../app/deps.ts';
import { presentTopUp, topUpSchema } from '../../contract/top-up.ts';
import { getTopUp } from '../../db/payments.ts';
import { err, ok } from '../../domain/errors.ts';
import { reply } from '../errors.ts';
import { idParam, usdCents } from '../schemas.ts';

const topUpBody = z.strictObject({
  amount_usd: usdCents.describe('1.00 to 100000.00, at most two decimals'),
});

export function billingRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/billing/top-ups',
    {
      schema: {
        operationId: 'createTopUp',
        tags: ['billing'],
        summary: 'Top up the balance from the default payment method',
        body: topUpBody,
        response: { 200: topUpSchema },
        errors: ['insufficient_balance'],
      },
    },
    async (req, res) => {
      const result = await topUp(deps, {
        accountId: req.accountId,
        amountCents: req.body.amount_usd,
        ...(req.idem ? { idem: req.idem } : {}),
      });
      return reply(res, result, presentTopUp);
    },
  );
  r.get(
    '/v1/billing/top-ups/:id',
    {
      schema: {
        operationId: 'getTopUp',
        tags: ['billing'],
        summary: 'Retrieve a top-up',
        params: idParam,
        response: { 200: topUpSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const found = await getTopUp(deps.db, req.params.id, req.accountId);
      return reply(
        res,
        found ? ok(found) : err('not_found', `No such top-up: ${req.params.id}`, { param: 'id' }),
        presentTopUp,
      );
    },
  );
}
