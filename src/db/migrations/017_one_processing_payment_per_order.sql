-- At most one card payment in flight per order: the card charge of an order runs outside the
-- database transaction (payments row 'processing' → charge → settle), so a second /pay of the same
-- pending_payment order must not charge the card again while the first is in flight. The intent
-- insert of card-payment.ts skips on this index (ON CONFLICT … DO NOTHING) and the request gets
-- 409 request_in_progress. Top-ups have no order (NULL order_id) and are not limited.
CREATE UNIQUE INDEX payments_one_processing_per_order ON payments (order_id)
  WHERE status = 'processing' AND order_id IS NOT NULL;
