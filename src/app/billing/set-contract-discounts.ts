/**
 * An operator sets an account's contract discounts (SPEC §3, §11): replace semantics — the body is
 * the account's whole set, so a product not named (or named with 0) has no contract discount
 * afterwards. Later orders, quotes and renewals use the new set; earlier orders keep the amounts
 * they were sold at (line items record them).
 */
import { getAccount } from '../../db/accounts.ts';
import { listContractDiscounts, replaceContractDiscounts } from '../../db/contract-discounts.ts';
import { type ContractDiscounts, isBasisPoints } from '../../domain/contract-discount.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import type { AccountContractDiscounts } from './find-contract-discounts.ts';

export async function setContractDiscounts(
  deps: Deps,
  cmd: { accountId: string; discounts: ContractDiscounts },
): Promise<Result<AccountContractDiscounts>> {
  for (const [product, bp] of Object.entries(cmd.discounts)) {
    if (bp !== undefined && !isBasisPoints(bp)) {
      return err('invalid_request', `${product} must be a percent from 0 to 100`, { param: product });
    }
  }
  const at = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    // the account row locked: two operators' PUTs on one account apply one after the other
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`, { param: 'id' });
    await replaceContractDiscounts(q, account.id, cmd.discounts, at);
    return ok({ accountId: account.id, discounts: await listContractDiscounts(q, account.id) });
  });
}
