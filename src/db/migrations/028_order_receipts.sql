-- Receipts for paid orders (SPEC §9): every order that was paid gets one receipt mail, queued by
-- the periodic job queue_receipts (app/notifications/queue-receipts.ts) rather than on the paying
-- path, so every way of paying (the one-statement balance payment too) is covered the same way
-- and the hot path writes nothing more. receipt_queued_at marks an order done (with or without a
-- mail: an order paid nothing gets none). Orders from before this migration had no receipt and
-- get none now.
ALTER TABLE orders ADD COLUMN receipt_queued_at timestamptz;
UPDATE orders SET receipt_queued_at = updated_at;
CREATE INDEX orders_receipt_due_idx ON orders (updated_at, id)
  WHERE receipt_queued_at IS NULL
    AND payment_status IN ('paid', 'partially_refunded', 'refunding', 'refunded', 'refund_failed');
