/** Console logout: the session is revoked server-side; its cookie is refused from then on. */
import { revokeSession } from '../../db/sessions.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export async function logOut(deps: Deps, tokenHash: string): Promise<Result<true>> {
  const revoked = await revokeSession(deps.db, tokenHash, await deps.clock.now());
  return revoked ? ok(true) : err('unauthenticated', 'The session has already ended');
}
