/**
 * The money invariants every test file must leave true (issue 13 item 5), checked when its
 * harness closes: every cached balance, pool and voucher equals the sum of its ledger entries
 * (so a voucher's used + left = issued); every order's amounts are the sums of its line items;
 * every line item's original − discount − voucher = payable, none negative.
 */
import type { Sql } from '../../src/db/client.ts';
import { ledgerMismatches } from '../../src/db/ledger.ts';

export async function moneyInvariantViolations(q: Sql): Promise<string[]> {
  const out: string[] = [];
  for (const m of await ledgerMismatches(q)) {
    out.push(`${m.asset} ${m.owner}: cached ${m.cached} ≠ ledger ${m.ledger}`);
  }
  const orders = await q.query<Record<string, unknown>>(
    `SELECT o.id, o.original_cents, o.discount_cents, o.voucher_cents, o.payable_cents, o.paid_cents,
            s.original, s.discount, s.voucher, s.payable, s.paid
     FROM orders o
     JOIN (SELECT order_id, sum(original_cents)::int8 AS original, sum(discount_cents)::int8 AS discount,
                  sum(voucher_cents)::int8 AS voucher, sum(payable_cents)::int8 AS payable,
                  sum(paid_cents)::int8 AS paid
           FROM order_line_items GROUP BY order_id) s ON s.order_id = o.id
     WHERE (o.original_cents, o.discount_cents, o.voucher_cents, o.payable_cents, o.paid_cents)
           IS DISTINCT FROM (s.original, s.discount, s.voucher, s.payable, s.paid)`,
  );
  for (const o of orders) out.push(`order ${o.id}: totals are not the sums of its line items`);
  const lines = await q.query<{ id: string }>(
    `SELECT id FROM order_line_items
     WHERE original_cents - discount_cents - voucher_cents <> payable_cents
        OR original_cents < 0 OR discount_cents < 0 OR voucher_cents < 0 OR payable_cents < 0 OR paid_cents < 0`,
  );
  for (const l of lines) out.push(`line item ${l.id}: original − discount − voucher ≠ payable, or negative`);
  return out;
}
