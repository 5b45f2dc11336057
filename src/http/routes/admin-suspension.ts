/** Operators: suspend and resume an account (SPEC §11). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_SUSPENSION_REASON, resumeAccount, suspendAccount } from '../../app/accounts/suspend-account.ts';
import type { Deps } from '../../app/deps.ts';
import { accountSchema, presentAccount } from '../../contract/account.ts';
import { reply } from '../errors.ts';
import { idParam } from '../schemas.ts';

const suspendBody = z.strictObject({
  reason: z
    .string()
    .min(1)
    .max(MAX_SUSPENSION_REASON)
    .describe('why; shown to the customer (account and mail) and kept for audit'),
});

export function adminSuspensionRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/admin/v1/accounts/:id/suspend',
    {
      schema: {
        operationId: 'suspendAccount',
        tags: ['admin'],
        summary:
          'Suspend an account: it can read, top up and pay arrears but not order (403 account_suspended); gateway authorize refuses its subusers; the customer is mailed. Already suspended: 200, unchanged',
        params: idParam,
        body: suspendBody,
        response: { 200: accountSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await suspendAccount(deps, {
          accountId: req.params.id,
          reason: req.body.reason,
          operator: req.adminId,
        }),
        (c) => presentAccount(c.account),
      ),
  );
  r.post(
    '/admin/v1/accounts/:id/resume',
    {
      schema: {
        operationId: 'resumeAccount',
        tags: ['admin'],
        summary:
          'Resume a suspended account: it may order again; the customer is mailed. Already active: 200, unchanged',
        params: idParam,
        body: z.strictObject({}).optional(),
        response: { 200: accountSchema },
        errors: ['not_found'],
      },
    },
    async (req, res) =>
      reply(res, await resumeAccount(deps, { accountId: req.params.id, operator: req.adminId }), (c) =>
        presentAccount(c.account),
      ),
  );
}
