/** What a session answer shows (POST /v1/signup, POST and GET /v1/session): the account with its pools. */
import { type Account, getAccount } from '../../db/accounts.ts';
import type { Pool } from '../../db/usage.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { accountPools } from '../subusers/find-subuser.ts';

export interface SessionView {
  account: Account;
  pools: Pool[];
  csrfToken: string;
}

export async function sessionView(
  deps: Deps,
  accountId: string,
  csrfToken: string,
): Promise<Result<SessionView>> {
  const account = await getAccount(deps.db, accountId);
  if (!account) return err('unauthenticated', 'The session’s account no longer exists');
  return ok({ account, pools: await accountPools(deps, accountId), csrfToken });
}
