/**
 * Crash recovery of card payments (SPEC §5; DESIGN habit 7). A payment left 'processing' means a
 * process died after recording the intent: before the charge, or between the charge and the
 * settlement. The worker calls recoverPayments periodically; each payment is resolved by asking the
 * gateway what happened under the payment's idempotency key (charge-then-settle.ts
 * resolveProcessingPayment), and a charged one is settled from its draft exactly as the request
 * would have: an order is written and paid (and linked to the request's Idempotency-Key, so a
 * client retrying with that key gets this order, not a second one), a top-up is credited. If
 * settling is refused (the balance was spent meanwhile, the account suspended...) the charge is
 * refunded and the payment 'voided'.
 *
 * Safe to run in several processes at once: every step is conditional on the payment still being
 * 'processing' (row lock or conditional update), and gateway calls are idempotent.
 */
import {
  listProcessingPaymentsForKey,
  listStaleProcessingPayments,
  type Payment,
} from '../../db/payments.ts';
import { err } from '../../domain/errors.ts';
import type { Order } from '../../domain/order.ts';
import { settleTopUp } from '../billing/top-up.ts';
import type { Deps, IdempotencyLink } from '../deps.ts';
import { reviveOrder } from '../orders/price-order.ts';
import { type Resolution, resolveProcessingPayment, type Settler } from './charge-then-settle.ts';
import { settleOrderPayment } from './settle-order-payment.ts';

export interface RecoveryCounts {
  /** charged payments whose order or top-up was written now */
  settled: number;
  /** charged payments that could not be settled and were refunded */
  voided: number;
  /** payments never charged (abandoned) or declined */
  failed: number;
  /** payments still 'processing' after this run (a refund failed, an inconsistency was logged, an error) */
  pending: number;
}

interface OrderDraft {
  order: unknown;
  idem?: IdempotencyLink | null;
}

function idemOf(draft: unknown): IdempotencyLink | undefined {
  const idem = (draft as { idem?: IdempotencyLink | null } | null)?.idem;
  return idem && typeof idem.scope === 'string' && typeof idem.key === 'string' ? idem : undefined;
}

/** The settlement a payment's purpose calls for, rebuilt from its draft. */
function settlerFor(deps: Deps, payment: Payment): Settler<unknown> {
  const idem = idemOf(payment.draft);
  if (payment.purpose === 'top_up') return (q, p, at) => settleTopUp(deps, q, p, idem, at);
  const draft = payment.draft as OrderDraft | null;
  if (!draft?.order) {
    return async () => err('invalid_state', `payment ${payment.id} has no order draft to settle`);
  }
  const order: Order = reviveOrder(draft.order);
  return (q, p, at) => settleOrderPayment(deps, q, order, p, idem, at);
}

export async function recoverPayments(
  deps: Deps,
  { olderThanSeconds = 30, limit = 100 }: { olderThanSeconds?: number; limit?: number } = {},
): Promise<RecoveryCounts> {
  const now = await deps.clock.now();
  const before = new Date(now.getTime() - olderThanSeconds * 1000);
  const stale = await listStaleProcessingPayments(deps.db, before, limit);
  const counts: RecoveryCounts = { settled: 0, voided: 0, failed: 0, pending: 0 };
  for (const payment of stale) {
    const resolution = await recoverOne(deps, payment);
    if (resolution !== 'skipped') counts[resolution] += 1;
  }
  return counts;
}

/**
 * Finishes now, whatever their age, the payments a request with this idempotency key left
 * 'processing'. For the HTTP idempotency layer when it takes over a key whose request died: call
 * it before looking for the key's resource, so a retry that comes before the recovery worker gets
 * the order (or top-up) the dead request paid for instead of paying a second time.
 */
export async function recoverPaymentsForKey(deps: Deps, idem: IdempotencyLink): Promise<RecoveryCounts> {
  const counts: RecoveryCounts = { settled: 0, voided: 0, failed: 0, pending: 0 };
  for (const payment of await listProcessingPaymentsForKey(deps.db, idem)) {
    const resolution = await recoverOne(deps, payment);
    if (resolution !== 'skipped') counts[resolution] += 1;
  }
  return counts;
}

async function recoverOne(deps: Deps, payment: Payment): Promise<Resolution> {
  try {
    const { resolution } = await resolveProcessingPayment(deps, payment, settlerFor(deps, payment));
    if (resolution !== 'pending') {
      deps.log.info({ paymentId: payment.id, purpose: payment.purpose, resolution }, 'payment recovered');
    }
    return resolution;
  } catch (e) {
    deps.log.error({ err: e, paymentId: payment.id }, 'recovering a payment failed; the next run retries');
    return 'pending';
  }
}
