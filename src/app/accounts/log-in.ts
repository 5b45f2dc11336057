/**
 * Console login (SPEC §1): email + password (argon2id). A wrong password and an unknown email
 * (or an account without a password) get the same answer after the same work: an unknown email
 * is verified against a fixed hash of the same parameters, so neither the message nor the time
 * tells which emails have accounts. A suspended account may log in: it can still read.
 */
import { verify } from '@node-rs/argon2';
import { getAccountByEmail } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { type OpenedSession, openSession } from './open-session.ts';
import { type SessionView, sessionView } from './session-view.ts';

/** argon2id of a random password, with @node-rs/argon2's defaults (m=19456 KiB, t=2, p=1: OWASP's). */
const DUMMY_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$TUIkWvbma76gxAieRXNGhg$3XPOqyo/O/ophlLyaO/5QIBmnI6g/RdBgx/rDMEHNcs';

export const WRONG_CREDENTIALS = 'Wrong email or password';

export async function logIn(
  deps: Deps,
  input: { email: string; password: string },
): Promise<Result<{ session: OpenedSession; view: SessionView }>> {
  const account = await getAccountByEmail(deps.db, input.email.trim());
  const stored = account?.passwordHash ?? null;
  let matches = false;
  try {
    matches = await verify(stored ?? DUMMY_HASH, input.password);
  } catch {
    // a stored value that is not an argon2 hash matches nothing
    matches = false;
  }
  if (!account || stored === null || !matches) return err('unauthenticated', WRONG_CREDENTIALS);
  const session = await openSession(deps, account.id);
  const view = await sessionView(deps, account.id, session.csrfToken);
  return view.ok ? ok({ session, view: view.value }) : view;
}
