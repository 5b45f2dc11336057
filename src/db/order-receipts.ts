/** Paid orders waiting for their receipt (migration 028), claimed a batch at a time. */
import type { Order } from '../domain/order.ts';
import type { Sql } from './client.ts';
import { getOrders } from './orders.ts';

export interface ReceiptDue {
  order: Order;
  email: string;
  /** what the card paid for the order (card_payment ledger entries; with arrears it covered) */
  fromCardCents: number;
}

/**
 * Marks up to `limit` paid orders as receipted (FOR UPDATE SKIP LOCKED: two workers take
 * different orders) and returns them with their account's email and card part. Call in the
 * transaction that queues the mails.
 */
export async function claimReceiptsDue(q: Sql, at: Date, limit: number): Promise<ReceiptDue[]> {
  const claimed = await q.query<{ id: string; email: string; from_card: string | number }>(
    `WITH due AS MATERIALIZED (
       SELECT id FROM orders
       WHERE receipt_queued_at IS NULL
         AND payment_status IN ('paid', 'partially_refunded', 'refunding', 'refunded', 'refund_failed')
       ORDER BY updated_at, id
       LIMIT $2::int4
       FOR UPDATE SKIP LOCKED),
     upd AS (
       UPDATE orders o SET receipt_queued_at = $1::timestamptz FROM due WHERE o.id = due.id
       RETURNING o.id, o.account_id, o.updated_at)
     SELECT upd.id, a.email,
            (SELECT coalesce(sum(l.amount), 0) FROM ledger_entries l
             WHERE l.order_id = upd.id AND l.cause = 'card_payment') AS from_card
     FROM upd JOIN accounts a ON a.id = upd.account_id
     ORDER BY upd.updated_at, upd.id`,
    [at, limit],
  );
  const orders = await getOrders(
    q,
    claimed.map((r) => r.id),
  );
  const byId = new Map(claimed.map((r) => [r.id, r]));
  return orders.map((order) => {
    const r = byId.get(order.id)!;
    return { order, email: r.email, fromCardCents: Number(r.from_card) };
  });
}
