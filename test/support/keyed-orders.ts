/**
 * Orders sent under Idempotency-Keys to real server processes (test/support/processes.ts) by the
 * crash and failover tests, and what counts as a definite answer to one.
 */
import { type Answer, request } from './processes.ts';

/**
 * A definite answer: anything but a connection failure, a 5xx, 409 request_in_progress or 409
 * insufficient_balance with decline_code balance_changed (a lost race the idempotency layer does
 * not store: the retry with the same key runs again).
 */
export function definite(a: Answer): boolean {
  if (a.status >= 500) return false;
  if (a.status !== 409) return true;
  const e = a.body?.error;
  if (e?.code === 'request_in_progress') return false;
  return !(e?.code === 'insufficient_balance' && e?.decline_code === 'balance_changed');
}

export interface KeyedOrder {
  key: string;
  customer: { key: string };
  body: { product: string; gb: number };
}

/** POST /v1/orders with the order's key and body; throws when the connection fails. */
export function postKeyedOrder(base: string, o: KeyedOrder): Promise<Answer> {
  return request(base, 'POST', '/v1/orders', { auth: o.customer.key, key: o.key, body: o.body });
}
