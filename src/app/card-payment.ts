/**
 * A card charge crosses the database transaction, so it goes in three steps (SPEC §5):
 *  1. record the intent (payments row 'processing', with the draft of what it pays for);
 *  2. charge the gateway with the payment id as the gateway's idempotency key;
 *  3. settle in one transaction: re-check, write the effects, mark the payment 'succeeded'.
 * A decline marks it 'failed' and nothing else is written. If settling is refused (the balance
 * moved meanwhile) the charge is refunded and the payment 'voided'. A process that dies between
 * 2 and 3 leaves a 'processing' row which recoverPayments finishes or undoes.
 */
import type { Sql } from '../db/client.ts';
import { finishPayment, insertPaymentIntent, lockProcessingPayment, type Payment } from '../db/payments.ts';
import { type DomainError, DomainFailure, err, ok, type Result } from '../domain/errors.ts';
import type { Deps } from './deps.ts';

export type Settler<T> = (q: Sql, payment: Payment) => Promise<Result<T>>;

export interface CardCharge {
  paymentId: string;
  accountId: string;
  paymentMethodId: string;
  gatewayToken: string;
  amountCents: number;
  purpose: Payment['purpose'];
  orderId: string | null;
  draft: unknown;
}

export function declined(code: string, message: string): DomainError {
  return {
    code: 'insufficient_balance',
    message: `The balance does not cover this payment and the card was declined: ${message}`,
    detail: { decline_code: code },
  };
}

export async function chargeThenSettle<T>(
  deps: Deps,
  c: CardCharge,
  settle: Settler<T>,
  /** test seam: runs between the charge and the settlement (a crash is simulated by throwing) */
  afterCharge?: () => Promise<void>,
): Promise<Result<T>> {
  const now = await deps.clock.now();
  await insertPaymentIntent(deps.db, {
    id: c.paymentId,
    accountId: c.accountId,
    purpose: c.purpose,
    orderId: c.orderId,
    paymentMethodId: c.paymentMethodId,
    gateway: deps.gateway.name,
    amountCents: c.amountCents,
    draft: c.draft,
    createdAt: now,
  });
  const charge = await deps.gateway.charge({
    token: c.gatewayToken,
    amountCents: c.amountCents,
    idempotencyKey: c.paymentId,
    now,
  });
  if (charge.status === 'declined') {
    await finishPayment(deps.db, c.paymentId, {
      status: 'failed',
      failureCode: charge.code,
      failureMessage: charge.message,
      at: await deps.clock.now(),
    });
    return { ok: false, error: declined(charge.code, charge.message) };
  }
  await afterCharge?.();
  return settleCharged(deps, c.paymentId, charge.chargeId, settle);
}

/** Step 3, also used by recovery: settle a charged payment, or refund it if settling is refused. */
export async function settleCharged<T>(
  deps: Deps,
  paymentId: string,
  chargeId: string,
  settle: Settler<T>,
): Promise<Result<T>> {
  let refused: DomainError | null = null;
  try {
    const out = await deps.db.tx(async (q) => {
      const payment = await lockProcessingPayment(q, paymentId);
      if (!payment) return null;
      const r = await settle(q, payment);
      if (!r.ok) throw new DomainFailure(r.error);
      await finishPayment(q, paymentId, { status: 'succeeded', chargeId, at: await deps.clock.now() });
      return r;
    });
    if (out) return out;
    return err('invalid_state', `payment ${paymentId} was already settled`);
  } catch (e) {
    if (!(e instanceof DomainFailure)) throw e;
    refused = e.error;
  }
  await voidCharge(deps, paymentId, chargeId, refused.code);
  return { ok: false, error: refused };
}

async function voidCharge(deps: Deps, paymentId: string, chargeId: string, reason: string): Promise<void> {
  const payment = await deps.db.tx((q) => lockProcessingPayment(q, paymentId));
  if (!payment) return;
  const refund = await deps.gateway.refund({
    chargeId,
    amountCents: payment.amountCents,
    // a full refund: a retry with a new key cannot refund twice (the gateway caps refunds at the charge)
    idempotencyKey: `${paymentId}:void:${Date.now()}`,
    now: await deps.clock.now(),
  });
  if (refund.status === 'failed') {
    deps.log.error(
      { paymentId, chargeId, code: refund.code },
      'voiding a charge failed; recovery will retry',
    );
    return;
  }
  await finishPayment(deps.db, paymentId, {
    status: 'voided',
    chargeId,
    failureCode: reason,
    failureMessage: 'settlement refused; the charge was refunded',
    at: await deps.clock.now(),
  });
}

export { ok };
