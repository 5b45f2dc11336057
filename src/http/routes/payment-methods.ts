/**
 * Payment methods (SPEC §5, §11): attach a card (sandbox: `{card: {number, exp_month, exp_year, cvc}}`),
 * list, retrieve, choose the default, detach. The API shows brand, last 4 and expiry only.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Deps } from '../../app/deps.ts';
import { addPaymentMethod } from '../../app/payment-methods/add-payment-method.ts';
import { removePaymentMethod } from '../../app/payment-methods/remove-payment-method.ts';
import { setDefaultMethod } from '../../app/payment-methods/set-default-method.ts';
import { listOf, page } from '../../contract/list.ts';
import {
  detachedPaymentMethodSchema,
  paymentMethodSchema,
  presentDetachedPaymentMethod,
  presentPaymentMethod,
} from '../../contract/payment-method.ts';
import { getAccount } from '../../db/accounts.ts';
import { getPaymentMethod, listPaymentMethodsPage } from '../../db/payments.ts';
import { err, ok } from '../../domain/errors.ts';
import { reply } from '../errors.ts';
import { idParam, listQuery } from '../schemas.ts';

const cardBody = z.strictObject({
  card: z.strictObject({
    number: z.string().min(1).max(32).describe('card number; spaces and dashes allowed; never stored'),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int().min(0).max(9999).describe('four digits (two digits mean 20xx)'),
    cvc: z.string().min(1).max(8),
  }),
  default: z
    .boolean()
    .optional()
    .describe('make it the default method; default: true when the account has no default method'),
});

export function paymentMethodRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/payment-methods',
    {
      schema: {
        operationId: 'createPaymentMethod',
        tags: ['payment methods'],
        summary: 'Attach a card (the first one becomes the default)',
        body: cardBody,
        response: { 200: paymentMethodSchema },
        errors: ['card_invalid', 'card_expired'],
      },
    },
    async (req, res) => {
      const { card } = req.body;
      const result = await addPaymentMethod(deps, {
        accountId: req.accountId,
        card: { number: card.number, expMonth: card.exp_month, expYear: card.exp_year, cvc: card.cvc },
        ...(req.body.default !== undefined ? { makeDefault: req.body.default } : {}),
      });
      return reply(res, result, presentPaymentMethod);
    },
  );
  r.get(
    '/v1/payment-methods',
    {
      schema: {
        operationId: 'listPaymentMethods',
        tags: ['payment methods'],
        summary: 'List attached cards, newest first',
        querystring: listQuery,
        response: { 200: listOf(paymentMethodSchema) },
      },
    },
    async (req) => {
      const account = await getAccount(deps.db, req.accountId);
      const rows = await listPaymentMethodsPage(deps.db, req.accountId, {
        limit: req.query.limit + 1,
        ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
      });
      return page(rows, req.query.limit, (method) =>
        presentPaymentMethod({ method, isDefault: method.id === account?.defaultPaymentMethodId }),
      );
    },
  );
  r.get(
    '/v1/payment-methods/:id',
    {
      schema: {
        operationId: 'getPaymentMethod',
        tags: ['payment methods'],
        summary: 'Retrieve a card',
        params: idParam,
        response: { 200: paymentMethodSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) => {
      const method = await getPaymentMethod(deps.db, req.params.id, req.accountId);
      const account = method ? await getAccount(deps.db, req.accountId) : null;
      const result = method
        ? ok({ method, isDefault: method.id === account?.defaultPaymentMethodId })
        : err('not_found', `No such payment method: ${req.params.id}`, { param: 'id' });
      return reply(res, result, presentPaymentMethod);
    },
  );
  r.post(
    '/v1/payment-methods/:id/default',
    {
      schema: {
        operationId: 'setDefaultPaymentMethod',
        tags: ['payment methods'],
        summary: 'Make a card the default for orders and top-ups',
        params: idParam,
        response: { 200: paymentMethodSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await setDefaultMethod(deps, { accountId: req.accountId, paymentMethodId: req.params.id }),
        presentPaymentMethod,
      ),
  );
  r.delete(
    '/v1/payment-methods/:id',
    {
      schema: {
        operationId: 'deletePaymentMethod',
        tags: ['payment methods'],
        summary: 'Detach a card (if it was the default, the account has no default)',
        params: idParam,
        response: { 200: detachedPaymentMethodSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await removePaymentMethod(deps, { accountId: req.accountId, paymentMethodId: req.params.id }),
        presentDetachedPaymentMethod,
      ),
  );
}
