/**
 * Order state machines as data (SPEC §4, DESIGN "State machines are tables"). Fulfilment status
 * (`status`) and payment status (`payment_status`) are separate fields with separate tables; one
 * generic `transition()` refuses any move a table does not list.
 */
import { err, ok, type Result } from './errors.ts';

export const ORDER_TYPES = [
  'new',
  'trial',
  'convert',
  'renew',
  'change',
  'unsubscribe',
  'ri_adjust',
  'temp_upgrade',
] as const;
export type OrderType = (typeof ORDER_TYPES)[number];

export const PAYMENT_STATUSES = [
  'pending_payment',
  'paid',
  'cancelled',
  'refunded',
  'partially_refunded',
  'refunding',
  'refund_failed',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Line items carry the payment statuses minus `partially_refunded`. */
export const LINE_ITEM_STATUSES = [
  'pending_payment',
  'paid',
  'cancelled',
  'refunded',
  'refunding',
  'refund_failed',
] as const;
export type LineItemStatus = (typeof LINE_ITEM_STATUSES)[number];

export const FULFILMENT_STATUSES = [
  'pending_payment',
  'provisioning',
  'waiting_inventory',
  'completed',
  'cancelled',
  'failed',
] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];

/** An order's payment status. `refunded` and `cancelled` are terminal. */
export const paymentTransitions: Record<PaymentStatus, readonly PaymentStatus[]> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['refunding', 'refunded', 'partially_refunded'],
  partially_refunded: ['refunding', 'refunded', 'partially_refunded'],
  refunding: ['refunded', 'partially_refunded', 'refund_failed'],
  refund_failed: ['refunding'],
  refunded: [],
  cancelled: [],
};

/** A line item's payment status: a line item is refunded whole, so no `partially_refunded`. */
export const lineItemTransitions: Record<LineItemStatus, readonly LineItemStatus[]> = {
  pending_payment: ['paid', 'cancelled'],
  paid: ['refunding', 'refunded'],
  refunding: ['refunded', 'refund_failed'],
  refund_failed: ['refunding'],
  refunded: [],
  cancelled: [],
};

/**
 * An order's fulfilment status. `completed → cancelled` is a released or refunded order;
 * `failed` and `cancelled` are terminal.
 */
export const orderTransitions: Record<FulfilmentStatus, readonly FulfilmentStatus[]> = {
  pending_payment: ['provisioning', 'waiting_inventory', 'completed', 'cancelled'],
  waiting_inventory: ['provisioning', 'completed', 'cancelled'],
  provisioning: ['completed', 'failed', 'cancelled'],
  completed: ['cancelled'],
  failed: [],
  cancelled: [],
};

/** The move `from → to` if the table allows it, else `invalid_state`. */
export function transition<S extends string>(
  table: Record<S, readonly S[]>,
  from: S,
  to: S,
  what: string,
): Result<S> {
  const exits: readonly S[] | undefined = Object.hasOwn(table, from) ? table[from] : undefined;
  if (!exits?.includes(to)) {
    return err('invalid_state', `cannot move ${what} from ${from} to ${to}`, {
      detail: { from, to },
    });
  }
  return ok(to);
}

/** True when a state has no exits. */
export function isTerminal<S extends string>(table: Record<S, readonly S[]>, state: S): boolean {
  return (table[state]?.length ?? 0) === 0;
}
