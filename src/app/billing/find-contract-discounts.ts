/** An operator reads an account's contract discounts (SPEC §11). */
import { getAccount } from '../../db/accounts.ts';
import { listContractDiscounts } from '../../db/contract-discounts.ts';
import type { ContractDiscounts } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';

export interface AccountContractDiscounts {
  accountId: string;
  discounts: ContractDiscounts;
}

export async function findContractDiscounts(
  deps: Deps,
  accountId: string,
): Promise<Result<AccountContractDiscounts>> {
  const [account, discounts] = await Promise.all([
    getAccount(deps.db, accountId),
    listContractDiscounts(deps.db, accountId),
  ]);
  if (!account) return err('not_found', `No such account: ${accountId}`, { param: 'id' });
  return ok({ accountId: account.id, discounts });
}
