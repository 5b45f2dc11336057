/**
 * A card payment's status (SPEC §5) as a table: the row is written 'processing' before the card is
 * charged, and finished once — 'succeeded' (settled), 'failed' (declined, or given up before any
 * charge) or 'voided' (charged, settlement refused, the charge refunded). The finished states are
 * terminal: what happens to a charge that lands later is noted on the row, its status stays.
 * This is the payment row's own status, not the order's payment_status (order-states.ts).
 */
import { transition } from './order-states.ts';

export const CARD_PAYMENT_STATUSES = ['processing', 'succeeded', 'failed', 'voided'] as const;
export type CardPaymentStatus = (typeof CARD_PAYMENT_STATUSES)[number];

export const cardPaymentTransitions: Record<CardPaymentStatus, readonly CardPaymentStatus[]> = {
  processing: ['succeeded', 'failed', 'voided'],
  succeeded: [],
  failed: [],
  voided: [],
};

/** A card payment status change as db/ writes it: `SET status = to WHERE status = ANY(from)`. */
export interface CardPaymentMove {
  readonly from: readonly CardPaymentStatus[];
  readonly to: CardPaymentStatus;
}

/**
 * The move to `to` from every state the table lets move there. Which status a payment is finished
 * with is chosen by the code, never by input, so a target no state may reach is a bug: it throws a
 * plain Error (a 500), not a domain failure. A payment that is no longer in a from-state (another
 * writer finished it first) is not an error here: the conditional write reports it.
 */
export function cardPaymentMove(to: CardPaymentStatus): CardPaymentMove {
  const from = CARD_PAYMENT_STATUSES.filter(
    (s) => transition(cardPaymentTransitions, s, to, 'card payment').ok,
  );
  if (from.length === 0) throw new Error(`no card payment status may move to ${to}`);
  return { from, to };
}
