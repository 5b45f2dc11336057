/**
 * A card charge crosses the database transaction, so it goes in three steps (SPEC §5):
 *  1. record the intent (payments row 'processing', with the draft of what it pays for);
 *  2. charge the gateway with the payment id as the gateway's idempotency key;
 *  3. settle in one transaction: re-check, write the effects, mark the payment 'succeeded'.
 * A decline marks it 'failed' and nothing else is written but its `payment.failed` event (in the
 * same transaction; so a pay-now order whose card is declined leaves no order, no money moved, but
 * a failed payment and its event). Recovery marking a payment 'failed' (declined, or the gateway
 * never reached) raises the event too; a voided payment does not. If settling is refused (the balance
 * moved meanwhile) the charge is refunded and the payment 'voided'. A process that dies between
 * 2 and 3 leaves a 'processing' row which recoverPayments finishes or undoes.
 */
import type { Sql } from '../../db/client.ts';
import {
  finishPayment,
  getPayment,
  insertPaymentIntent,
  lockProcessingPayment,
  notePaymentFailure,
  type Payment,
} from '../../db/payments.ts';
import { type DomainError, err, ok, type Result } from '../../domain/errors.ts';
import type { Deps } from '../deps.ts';
import { resultTx } from '../result-tx.ts';
import { emitPaymentFailed } from '../webhooks/emit-event.ts';

/**
 * Writes a charged payment's effects inside the settling transaction. `at` is the settlement time,
 * read before the transaction opens: nothing inside may query through deps.db (the clock included),
 * since PGlite runs one transaction at a time and such a query would wait for this one forever.
 */
export type Settler<T> = (q: Sql, payment: Payment, at: Date) => Promise<Result<T>>;

export interface CardCharge {
  paymentId: string;
  accountId: string;
  paymentMethodId: string;
  gatewayToken: string;
  amountCents: number;
  purpose: Payment['purpose'];
  orderId: string | null;
  draft: unknown;
  /**
   * Runs in the transaction that records the intent, before it (e.g. lock a pending_payment order
   * and check it may still be paid): an error stops the payment before the card is charged. The
   * intent then reserves the order until it is settled: one payment in flight per order.
   */
  reserve?: (q: Sql) => Promise<Result<void>>;
}

function inFlight(orderId: string | null): Result<never> {
  return err(
    'request_in_progress',
    `A card payment for order ${orderId} is already in progress; retry later`,
  );
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
  const intent = {
    id: c.paymentId,
    accountId: c.accountId,
    purpose: c.purpose,
    orderId: c.orderId,
    paymentMethodId: c.paymentMethodId,
    gateway: deps.gateway.name,
    amountCents: c.amountCents,
    draft: c.draft,
    createdAt: now,
  };
  const reserve = c.reserve;
  const recorded = reserve
    ? await resultTx(deps.db, async (q): Promise<Result<void>> => {
        const reserved = await reserve(q);
        if (!reserved.ok) return reserved;
        return (await insertPaymentIntent(q, intent)) ? reserved : inFlight(c.orderId);
      })
    : (await insertPaymentIntent(deps.db, intent))
      ? ok(undefined)
      : inFlight(c.orderId);
  if (!recorded.ok) return recorded;
  const charge = await deps.gateway.charge({
    token: c.gatewayToken,
    amountCents: c.amountCents,
    idempotencyKey: c.paymentId,
    now,
  });
  if (charge.status === 'declined') {
    const at = await deps.clock.now();
    await deps.db.tx(async (q) => {
      await finishPayment(q, c.paymentId, {
        status: 'failed',
        failureCode: charge.code,
        failureMessage: charge.message,
        at,
      });
      await emitPaymentFailedById(q, deps, c.paymentId, at);
    });
    return { ok: false, error: declined(charge.code, charge.message) };
  }
  await afterCharge?.();
  return settleCharged(deps, c.paymentId, charge.chargeId, settle);
}

/** `payment.failed` for a payment just marked failed in `q`'s transaction (read back as it now is). */
async function emitPaymentFailedById(q: Sql, deps: Deps, paymentId: string, at: Date): Promise<void> {
  const payment = await getPayment(q, paymentId);
  if (payment) await emitPaymentFailed(q, deps, payment, at);
}

/** Step 3, also used by recovery: settle a charged payment, or refund it if settling is refused. */
async function settleCharged<T>(
  deps: Deps,
  paymentId: string,
  chargeId: string,
  settle: Settler<T>,
): Promise<Result<T>> {
  const at = await deps.clock.now();
  const out = await resultTx(deps.db, async (q): Promise<Result<{ settled: Result<T> } | null>> => {
    const payment = await lockProcessingPayment(q, paymentId);
    if (!payment) return ok(null);
    const r = await settle(q, payment, at);
    if (!r.ok) return r;
    await finishPayment(q, paymentId, { status: 'succeeded', chargeId, at });
    return ok({ settled: r });
  });
  if (!out.ok) {
    // settling was refused (and rolled back): the charge pays for nothing
    await voidCharge(deps, paymentId, chargeId, out.error.code);
    return out;
  }
  if (out.value) return out.value.settled;
  const orphaned = await refundIfOrphaned(deps, paymentId, chargeId);
  if (orphaned) return { ok: false, error: orphaned };
  return err('invalid_state', `payment ${paymentId} was already settled`);
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

/**
 * A charge that landed after recovery gave its payment up (marked it failed 'abandoned' because the
 * gateway had no charge yet, e.g. a very slow gateway call) pays for nothing: refund it. Returns the
 * error for the caller, or null when the payment was not given up (it was settled or voided).
 */
async function refundIfOrphaned(
  deps: Deps,
  paymentId: string,
  chargeId: string,
): Promise<DomainError | null> {
  const payment = await getPayment(deps.db, paymentId);
  if (payment?.status !== 'failed') return null;
  const refund = await deps.gateway.refund({
    chargeId,
    amountCents: payment.amountCents,
    idempotencyKey: `${paymentId}:orphan`,
    now: await deps.clock.now(),
  });
  const at = await deps.clock.now();
  if (refund.status === 'failed') {
    deps.log.error(
      { paymentId, chargeId, code: refund.code },
      'refunding a charge that landed after its payment was abandoned failed; an operator must refund it',
    );
    await notePaymentFailure(deps.db, paymentId, {
      chargeId,
      failureCode: 'orphan_refund_failed',
      failureMessage: `charged after the payment was abandoned; refund failed: ${refund.code}`,
      at,
    });
  } else {
    await notePaymentFailure(deps.db, paymentId, {
      chargeId,
      failureCode: 'abandoned',
      failureMessage: 'charged after the payment was abandoned; the charge was refunded',
      at,
    });
  }
  return declined('processing_error', 'the payment timed out and was not completed');
}

/** What recovery did with one payment left 'processing'. */
export type Resolution = 'settled' | 'voided' | 'failed' | 'pending' | 'skipped';

/**
 * Finishes or undoes one payment left 'processing' (its process died between the intent and the
 * settlement): asks the gateway what happened under the payment's idempotency key.
 *  - no charge: the gateway was never reached → failed ('abandoned');
 *  - declined: failed with the decline;
 *  - charged and already refunded in full (a void whose bookkeeping was lost) → voided;
 *  - charged: settled with `settle`, which refunds and voids when settling is refused.
 * 'pending' means it is still 'processing' (e.g. the refund failed) and a later run retries;
 * 'skipped' means another worker finished it meanwhile.
 */
export async function resolveProcessingPayment<T>(
  deps: Deps,
  payment: Payment,
  settle: Settler<T>,
): Promise<{ resolution: Resolution; result?: Result<T> }> {
  const charge = await deps.gateway.findCharge(payment.id);
  const at = await deps.clock.now();
  const finishIfProcessing = async (
    status: 'failed' | 'voided',
    failureCode: string,
    failureMessage: string,
  ): Promise<{ resolution: Resolution }> => {
    const done = await deps.db.tx(async (q) => {
      const finished = await finishPayment(q, payment.id, {
        status,
        chargeId: charge?.chargeId ?? null,
        failureCode,
        failureMessage,
        at,
      });
      if (finished && status === 'failed') await emitPaymentFailedById(q, deps, payment.id, at);
      return finished;
    });
    return { resolution: done ? status : 'skipped' };
  };

  if (!charge) {
    return finishIfProcessing('failed', 'abandoned', 'the process stopped before the card was charged');
  }
  if (charge.status === 'declined') {
    return finishIfProcessing('failed', 'card_declined', 'the card was declined');
  }
  if (charge.amountCents !== payment.amountCents) {
    deps.log.error(
      { paymentId: payment.id, charged: charge.amountCents, expected: payment.amountCents },
      'the gateway charged another amount than the payment recorded; left for an operator',
    );
    return { resolution: 'pending' };
  }
  if (charge.refundedCents >= charge.amountCents) {
    return finishIfProcessing('voided', 'settlement_refused', 'the charge was refunded');
  }
  if (charge.refundedCents > 0) {
    deps.log.error(
      { paymentId: payment.id, chargeId: charge.chargeId, refunded: charge.refundedCents },
      'a processing payment was partly refunded; left for an operator',
    );
    return { resolution: 'pending' };
  }

  const result = await settleCharged(deps, payment.id, charge.chargeId, settle);
  if (result.ok) return { resolution: 'settled', result };
  const after = await getPayment(deps.db, payment.id);
  if (after?.status === 'voided') return { resolution: 'voided', result };
  if (after?.status === 'processing') return { resolution: 'pending', result };
  return { resolution: 'skipped', result };
}
