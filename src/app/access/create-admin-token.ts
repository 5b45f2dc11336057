/**
 * Managed operator tokens (SPEC §1: the bootstrap token from configuration, then managed ones):
 * created by an operator (shown once, stored as a sha256), listed without the token, revoked (the
 * next request with it is 401). The bootstrap token is configuration, not a row: it is neither
 * listed nor revoked here.
 */
import {
  type AdminTokenRecord,
  insertAdminToken,
  listAdminTokens,
  revokeAdminToken,
} from '../../db/accounts.ts';
import { ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { revocationOutcome } from './revocation-outcome.ts';
import { newAdminToken } from './secrets.ts';

export async function createAdminToken(
  deps: Deps,
  name: string | null,
): Promise<Result<AdminTokenRecord & { token: string }>> {
  const { token, hash } = newAdminToken();
  const id = deps.ids.next('adm');
  const at = await deps.clock.now();
  await insertAdminToken(deps.db, { id, name, tokenHash: hash, at });
  return ok({ id, name, createdAt: at, revokedAt: null, token });
}

export async function searchAdminTokens(deps: Deps): Promise<Result<AdminTokenRecord[]>> {
  return ok(await listAdminTokens(deps.db));
}

/** Revoking a revoked token is 409 invalid_state; an unknown id is 404. */
export async function revokeManagedAdminToken(deps: Deps, id: string): Promise<Result<AdminTokenRecord>> {
  const r = await revokeAdminToken(deps.db, id, await deps.clock.now());
  return revocationOutcome(r, `admin token ${id}`, 'id');
}
