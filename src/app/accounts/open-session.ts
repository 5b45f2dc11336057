/**
 * A console session (SPEC §1, §10): a random cookie token, stored only as its sha256 like an API
 * key, and a CSRF token the console echoes in X-CSRF-Token on every write. A session lasts
 * SESSION_SECONDS from login, fixed (using it does not extend it), on the injected clock, or
 * until it is logged out.
 */
import { randomBytes } from 'node:crypto';
import type { Sql } from '../../db/client.ts';
import { insertSession } from '../../db/sessions.ts';
import { sha256Hex } from '../access/secrets.ts';
import type { Deps } from '../deps.ts';

export const SESSION_SECONDS = 30 * 24 * 3600;

export interface OpenedSession {
  /** the cookie's value: given to the client once, never stored */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** Opens a session for the account (inside `q`, the caller's transaction, when given). */
export async function openSession(deps: Deps, accountId: string, q: Sql = deps.db): Promise<OpenedSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const at = await deps.clock.now();
  const expiresAt = new Date(at.getTime() + SESSION_SECONDS * 1000);
  await insertSession(q, { tokenHash: sha256Hex(token), accountId, csrfToken, at, expiresAt });
  return { token, csrfToken, expiresAt };
}
