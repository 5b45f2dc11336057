/** Operators (and sign-up) create an account: with its main subuser, in one transaction. */
import { hash } from '@node-rs/argon2';
import { type Account, insertAccount } from '../../db/accounts.ts';
import { insertSubuser } from '../../db/subusers.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { randomToken } from '../access/secrets.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

export interface CreateAccountInput {
  email: string;
  name: string;
  password?: string;
}

export const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}\.[^\s@]{2,63}$/;

export async function createAccount(deps: Deps, input: CreateAccountInput): Promise<Result<Account>> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) return err('invalid_request', 'email is not a valid address', { param: 'email' });
  if (input.name.trim() === '') {
    return err('invalid_request', 'name must not be blank', { param: 'name' });
  }
  if (input.password !== undefined && input.password.length < 8) {
    return err('invalid_request', 'password must be at least 8 characters', { param: 'password' });
  }
  const passwordHash = input.password ? await hash(input.password) : null;
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q): Promise<Result<Account>> => {
    const account = await insertAccount(q, {
      id: deps.ids.next('acc'),
      email,
      name: input.name.trim(),
      passwordHash,
      at: now,
    });
    if (!account) return err('email_taken', 'An account with this email exists', { param: 'email' });
    const subuserId = deps.ids.next('sub');
    await insertSubuser(q, {
      id: subuserId,
      accountId: account.id,
      username: `u${subuserId.slice(-12).toLowerCase()}`,
      password: randomToken(16),
      name: 'main',
      isMain: true,
      createdAt: now,
    });
    return ok(account);
  });
}
