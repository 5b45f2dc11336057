/** An account's KYC (SPEC §2): its status and latest submission. */
import { z } from 'zod';
import type { KycStatus, KycSubmission } from '../db/accounts.ts';
import { iso, isoOrNull, timestamp } from './fields.ts';

export const kycSchema = z
  .object({
    object: z.literal('kyc'),
    status: z.enum(['not_submitted', 'pending', 'approved', 'rejected']),
    submission: z
      .object({
        id: z.string(),
        legal_name: z.string(),
        country: z.string(),
        document_reference: z.string(),
        status: z.enum(['pending', 'approved', 'rejected']),
        reason: z.string().nullable().describe('the operator’s reason, shown with the decision'),
        submitted_at: timestamp,
        decided_at: timestamp.nullable(),
      })
      .nullable()
      .describe('the latest submission, decided or not; null when the account never submitted'),
  })
  .meta({ id: 'Kyc' });

export function presentKyc(k: {
  status: KycStatus;
  submission: KycSubmission | null;
}): z.infer<typeof kycSchema> {
  const s = k.submission;
  return {
    object: 'kyc',
    status: k.status,
    submission: s
      ? {
          id: s.id,
          legal_name: s.legalName,
          country: s.country,
          document_reference: s.documentReference,
          status: s.status,
          reason: s.reason,
          submitted_at: iso(s.submittedAt),
          decided_at: isoOrNull(s.decidedAt),
        }
      : null,
  };
}
