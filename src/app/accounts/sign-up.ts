/** Console sign-up (SPEC §1, §10): a new account with a password, logged in at once. */
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { createAccount } from './create-account.ts';
import { type OpenedSession, openSession } from './open-session.ts';
import { type SessionView, sessionView } from './session-view.ts';

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

export async function signUp(
  deps: Deps,
  input: SignUpInput,
): Promise<Result<{ session: OpenedSession; view: SessionView }>> {
  if (input.password.length < 8) {
    return err('invalid_request', 'password must be at least 8 characters', { param: 'password' });
  }
  const created = await createAccount(deps, input);
  if (!created.ok) return created;
  const session = await openSession(deps, created.value.id);
  const view = await sessionView(deps, created.value.id, session.csrfToken);
  return view.ok ? ok({ session, view: view.value }) : view;
}
