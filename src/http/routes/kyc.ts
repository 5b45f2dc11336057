/** KYC (SPEC §2): the customer submits identity details and sees the review's state. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findKyc } from '../../app/accounts/find-account.ts';
import type { Deps } from '../../app/deps.ts';
import { submitKyc } from '../../app/kyc/submit-kyc.ts';
import { kycSchema, presentKyc } from '../../contract/kyc.ts';
import { reply } from '../errors.ts';
import { displayText } from '../schemas.ts';

const submitBody = z.strictObject({
  legal_name: displayText(200).describe('full legal name of the person or company'),
  country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 code such as "us"')
    .describe('ISO 3166-1 alpha-2 country code, any case; stored in lower case'),
  document_reference: z
    .string()
    .min(1)
    .max(200)
    .describe('reference of the identity or registration document (number, or an id in your document store)'),
});

export function kycRoutes(app: FastifyInstance, deps: Deps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post(
    '/v1/kyc',
    {
      schema: {
        operationId: 'submitKyc',
        tags: ['kyc'],
        summary: 'Submit KYC details for review (status becomes pending)',
        body: submitBody,
        response: { 200: kycSchema },
        errors: ['invalid_state'],
      },
    },
    async (req, res) =>
      reply(
        res,
        await submitKyc(deps, {
          accountId: req.accountId,
          legalName: req.body.legal_name,
          country: req.body.country,
          documentReference: req.body.document_reference,
        }),
        presentKyc,
      ),
  );
  r.get(
    '/v1/kyc',
    {
      schema: {
        operationId: 'getKyc',
        tags: ['kyc'],
        summary: 'KYC status and the latest submission',
        response: { 200: kycSchema },
      },
    },
    async (req, res) => reply(res, await findKyc(deps, req.accountId), presentKyc),
  );
}
