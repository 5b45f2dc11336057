/**
 * A console session (SPEC §1, §10): the logged-in account as GET /v1/account shows it and the CSRF
 * token every cookie-authenticated write must send as X-CSRF-Token. The session itself is the
 * HttpOnly cookie `orderdesk_session`, never in a body.
 */
import { z } from 'zod';
import type { Account } from '../db/accounts.ts';
import type { Pool } from '../db/usage.ts';
import { customerAccountSchema, presentCustomerAccount } from './account.ts';

export const sessionSchema = z
  .object({
    object: z.literal('session'),
    account: customerAccountSchema,
    csrf_token: z
      .string()
      .describe('send it as the X-CSRF-Token header on every cookie-authenticated request but GET and HEAD'),
  })
  .meta({ id: 'Session' });

export const endedSessionSchema = z
  .object({ object: z.literal('session'), deleted: z.literal(true) })
  .meta({ id: 'EndedSession' });

export function presentSession(v: {
  account: Account;
  pools: readonly Pool[];
  csrfToken: string;
}): z.infer<typeof sessionSchema> {
  return { object: 'session', account: presentCustomerAccount(v.account, v.pools), csrf_token: v.csrfToken };
}

export function presentEndedSession(): z.infer<typeof endedSessionSchema> {
  return { object: 'session', deleted: true };
}
