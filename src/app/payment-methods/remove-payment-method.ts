/**
 * DELETE /v1/payment-methods/{id}: detaches the card (the row stays, marked detached, so past
 * payments still name it). If it was the default, the account has no default afterwards: another
 * card is not promoted silently, the customer chooses.
 */
import { getAccount, setDefaultPaymentMethod } from '../../db/accounts.ts';
import { detachPaymentMethod, getPaymentMethod } from '../../db/payments.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import type { AttachedPaymentMethod } from './add-payment-method.ts';

export async function removePaymentMethod(
  deps: Deps,
  cmd: { accountId: string; paymentMethodId: string },
): Promise<Result<AttachedPaymentMethod>> {
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', 'no such account');
    const method = await getPaymentMethod(q, cmd.paymentMethodId, account.id);
    if (!method || !(await detachPaymentMethod(q, method.id, account.id, now))) {
      return err('not_found', `No such payment method: ${cmd.paymentMethodId}`, { param: 'id' });
    }
    if (account.defaultPaymentMethodId === method.id) {
      await setDefaultPaymentMethod(q, account.id, null, now);
    }
    return ok({ method, isDefault: false });
  });
}
