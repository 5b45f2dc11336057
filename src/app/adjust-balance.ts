/** An operator's balance adjustment: a ledger entry with a reason (negative to debit). */
import { getAccount } from '../db/accounts.ts';
import { type LedgerEntry, moveCash } from '../db/ledger.ts';
import { err, ok, type Result } from '../domain/errors.ts';
import type { Deps } from './deps.ts';

/**
 * A balance stays within ±9,999,999,999,999.99 USD, the largest amount the API accepts: far inside
 * 2^53 cents, so adjustments cannot push it past what the database layer reads back exactly.
 */
export const MAX_BALANCE_CENTS = 999_999_999_999_999;

export async function adjustBalance(
  deps: Deps,
  cmd: { accountId: string; amountCents: number; reason: string; operator: string },
): Promise<Result<LedgerEntry>> {
  if (cmd.amountCents === 0)
    return err('invalid_request', 'amount_usd must not be zero', { param: 'amount_usd' });
  const at = await deps.clock.now();
  return deps.db.tx(async (q) => {
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`, { param: 'id' });
    if (Math.abs(account.balanceCents + cmd.amountCents) > MAX_BALANCE_CENTS) {
      return err('invalid_request', 'the balance would leave the range ±9999999999999.99', {
        param: 'amount_usd',
      });
    }
    const entry = await moveCash(q, {
      id: deps.ids.next('txn'),
      accountId: account.id,
      amount: cmd.amountCents,
      cause: 'adjustment',
      memo: `${cmd.reason} (by ${cmd.operator})`,
      at,
    });
    return ok(entry);
  });
}
