/**
 * POST /v1/payment-methods (SPEC §5, §11): the card goes to the gateway, which returns a token; the
 * server keeps the token, brand, last 4 and expiry only. The number is never stored, logged or
 * echoed. An account without a default method gets the new card as its default (so the first card
 * is the default) unless the request says `default: false`; `default: true` always makes it one.
 */
import { getAccount, setDefaultPaymentMethod } from '../../db/accounts.ts';
import { insertPaymentMethod, type PaymentMethod } from '../../db/payments.ts';
import { err, ok, type Result } from '../../domain/errors.ts';
import type { CardInput } from '../../gateways/payment-gateway.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';

export interface AttachedPaymentMethod {
  method: PaymentMethod;
  isDefault: boolean;
}

export interface AddPaymentMethodCommand {
  accountId: string;
  card: CardInput;
  /** undefined: default when the account has none */
  makeDefault?: boolean;
}

/** Which field of the card a gateway refusal is about, for the error's `param`. */
function refusedParam(code: 'card_invalid' | 'card_expired', card: CardInput): string {
  if (code === 'card_expired') {
    return Number.isInteger(card.expMonth) && card.expMonth >= 1 && card.expMonth <= 12
      ? 'card.exp_year'
      : 'card.exp_month';
  }
  return /^\d{3,4}$/.test(card.cvc) ? 'card.number' : 'card.cvc';
}

export async function addPaymentMethod(
  deps: Deps,
  cmd: AddPaymentMethodCommand,
): Promise<Result<AttachedPaymentMethod>> {
  const account = await getAccount(deps.db, cmd.accountId);
  if (!account) return err('not_found', 'no such account');
  const now = await deps.clock.now();
  const card = await deps.gateway.createCard(cmd.card, now);
  if (!card.ok) return err(card.code, card.message, { param: refusedParam(card.code, cmd.card) });

  const method: PaymentMethod = {
    id: deps.ids.next('pm'),
    accountId: account.id,
    gateway: deps.gateway.name,
    gatewayRef: card.token,
    brand: card.brand,
    last4: card.last4,
    expMonth: card.expMonth,
    expYear: card.expYear,
    createdAt: now,
  };
  return resultTx(deps.db, async (q) => {
    // the account row lock orders this against set-default and detach of the same account
    const locked = await getAccount(q, account.id, { forUpdate: true });
    if (!locked) return err('not_found', 'no such account');
    await insertPaymentMethod(q, method);
    const isDefault = cmd.makeDefault ?? locked.defaultPaymentMethodId === null;
    if (isDefault) await setDefaultPaymentMethod(q, account.id, method.id, now);
    return ok({ method, isDefault });
  });
}
