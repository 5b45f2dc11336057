/**
 * The bootstrap operator token on PostgreSQL without ORDERDESK_ADMIN_TOKEN (issue 13): kept in the
 * database as a managed token named `bootstrap`, so every host accepts the same one. The first
 * host to start makes it and prints it once; the others find it (an advisory lock makes two
 * hosts starting at once make one). On the embedded database it stays a file in DATA_DIR (one
 * process, one machine).
 */
import { findActiveAdminTokenByName, insertAdminToken } from '../../db/accounts.ts';
import type { Deps } from '../deps.ts';
import { newAdminToken } from './secrets.ts';

const LOCK_ID = 7_402_118_002;
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';

/** The new token when this call made it; null when one was there already. */
export async function ensureSharedBootstrapToken(deps: Deps): Promise<string | null> {
  const at = await deps.clock.now();
  return deps.db.tx(async (q) => {
    await q.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    if (await findActiveAdminTokenByName(q, BOOTSTRAP_TOKEN_NAME)) return null;
    const { token, hash } = newAdminToken();
    await insertAdminToken(q, { id: deps.ids.next('adm'), name: BOOTSTRAP_TOKEN_NAME, tokenHash: hash, at });
    return token;
  });
}
