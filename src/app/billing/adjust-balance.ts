/** An operator's balance adjustment: a ledger entry with a reason (negative to debit). */
import { getAccount } from '../../db/accounts.ts';
import { debitCashIfCovered, type LedgerEntry, moveCash } from '../../db/ledger.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import { formatUsd } from '../../domain/money.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { resumeIfArrearsPaid } from '../settlement/resume-if-arrears-paid.ts';

/**
 * A balance stays within ±9,999,999,999,999.99 USD, the largest amount the API accepts: far inside
 * 2^53 cents, so adjustments cannot push it past what the database layer reads back exactly.
 */
const MAX_BALANCE_CENTS = 999_999_999_999_999;

/**
 * A credit, or a debit the balance covers: a balance goes below zero only through postpaid
 * charges (SPEC §2), so a debit larger than the balance is `409 insufficient_balance` and writes
 * nothing. The cover is checked by the statement that debits (debitCashIfCovered), so of two
 * racing debits that together exceed the balance only one passes.
 */
export async function adjustBalance(
  deps: Deps,
  cmd: { accountId: string; amountCents: number; reason: string; operator: string },
): Promise<Result<LedgerEntry>> {
  if (cmd.amountCents === 0)
    return err('invalid_request', 'amount_usd must not be zero', { param: 'amount_usd' });
  const at = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', `No such account: ${cmd.accountId}`, { param: 'id' });
    if (Math.abs(account.balanceCents + cmd.amountCents) > MAX_BALANCE_CENTS) {
      return err('invalid_request', 'the balance would leave the range ±9999999999999.99', {
        param: 'amount_usd',
      });
    }
    const move = {
      id: deps.ids.next('txn'),
      accountId: account.id,
      amount: cmd.amountCents,
      cause: 'adjustment' as const,
      memo: `${cmd.reason} (by ${cmd.operator})`,
      at,
    };
    if (cmd.amountCents > 0) {
      const credited = await moveCash(q, move);
      await resumeIfArrearsPaid(q, account.id, at);
      return ok(credited);
    }
    const entry = await debitCashIfCovered(q, move);
    if (entry) return ok(entry);
    return err(
      'insufficient_balance',
      `The balance (${formatUsd(account.balanceCents)} USD) does not cover a debit of ` +
        `${formatUsd(-cmd.amountCents)} USD; only postpaid charges take a balance below zero`,
      { param: 'amount_usd' },
    );
  });
}
