/** The live session of a cookie's token (not logged out, not expired on the injected clock), or null. */
import { findSessionPrincipal, type SessionPrincipal } from '../../db/sessions.ts';
import { sha256Hex } from '../access/secrets.ts';
import type { Deps } from '../deps.ts';

export async function findSession(deps: Deps, token: string): Promise<SessionPrincipal | null> {
  if (token.length === 0 || token.length > 512) return null;
  return findSessionPrincipal(deps.db, sha256Hex(token), await deps.clock.now());
}
