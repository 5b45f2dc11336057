/** The answer to revoking a credential (an API key, an admin token): one rule for all of them. */
import type { Revocation } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';

/** 404 when there is no such credential, 409 invalid_state when it was revoked already. */
export function revocationOutcome<T extends { revokedAt: Date | null }>(
  r: Revocation<T> | null,
  what: string,
  param: string,
): Result<T> {
  if (!r) return err('not_found', `No such ${what}`, { param });
  if (!r.revokedNow) {
    return err('invalid_state', `${what} was revoked already`, {
      detail: { revoked_at: r.record.revokedAt?.toISOString() ?? null },
    });
  }
  return ok(r.record);
}
