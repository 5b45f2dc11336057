/** A customer API key: random, shown once, stored as a hash. */
import { getAccount, insertApiKey } from '../db/accounts.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Deps } from './deps.ts';
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
