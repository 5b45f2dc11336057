/** Customer API keys: random, shown once, stored as a hash; listed without the key; revoked. */
import { type ApiKeyRecord, getAccount, insertApiKey, listApiKeys, revokeApiKey } from '../../db/accounts.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { revocationOutcome } from './revocation-outcome.ts';
import { newApiKey } from './secrets.ts';

export async function createApiKey(
  deps: Deps,
  accountId: string,
  name: string | null,
): Promise<Result<{ id: string; key: string; name: string | null; createdAt: Date }>> {
  const account = await getAccount(deps.db, accountId);
  if (!account) return err('not_found', `No such account: ${accountId}`, { param: 'id' });
  const { key, hash, prefix } = newApiKey();
  const id = deps.ids.next('key');
  const at = await deps.clock.now();
  await insertApiKey(deps.db, { id, accountId, name, keyHash: hash, keyPrefix: prefix, at });
  return ok({ id, key, name, createdAt: at });
}

/** The account's keys, newest first, revoked ones too (never the key itself). */
export async function listAccountApiKeys(deps: Deps, accountId: string): Promise<Result<ApiKeyRecord[]>> {
  const account = await getAccount(deps.db, accountId);
  if (!account) return err('not_found', `No such account: ${accountId}`, { param: 'id' });
  return ok(await listApiKeys(deps.db, accountId));
}

/**
 * Revokes a key of the account: every request with it is 401 from now on (authentication reads
 * the key on every request). Revoking a revoked key is 409 invalid_state; another account's key
 * is 404.
 */
export async function revokeAccountApiKey(
  deps: Deps,
  accountId: string,
  keyId: string,
): Promise<Result<ApiKeyRecord>> {
  const at = await deps.clock.now();
  const r = await revokeApiKey(deps.db, accountId, keyId, at);
  return revocationOutcome(r, `API key ${keyId} of account ${accountId}`, 'key_id');
}
