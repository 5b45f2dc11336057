/** POST /v1/payment-methods/{id}/default: the card top-ups and orders charge from now on. */
import { getAccount, setDefaultPaymentMethod } from '../../db/accounts.ts';
import { getPaymentMethod } from '../../db/payments.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import type { AttachedPaymentMethod } from './add-payment-method.ts';

export async function setDefaultMethod(
  deps: Deps,
  cmd: { accountId: string; paymentMethodId: string },
): Promise<Result<AttachedPaymentMethod>> {
  const now = await deps.clock.now();
  return resultTx(deps.db, async (q) => {
    const account = await getAccount(q, cmd.accountId, { forUpdate: true });
    if (!account) return err('not_found', 'no such account');
    // read after the lock: a concurrent detach has committed or not started
    const method = await getPaymentMethod(q, cmd.paymentMethodId, account.id);
    if (!method) {
      return err('not_found', `No such payment method: ${cmd.paymentMethodId}`, { param: 'id' });
    }
    if (account.defaultPaymentMethodId !== method.id) {
      await setDefaultPaymentMethod(q, account.id, method.id, now);
    }
    return ok({ method, isDefault: true });
  });
}
