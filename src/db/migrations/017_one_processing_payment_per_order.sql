-- At most one card payment in flight per order: the card charge of an order runs outside the
-- database transaction (payments row 'processing' → charge → settle), so a second /pay of the same
-- pending_payment order must not charge the card again while the first is in flight. The intent
-- insert of card-payment.ts skips on this index (ON CONFLICT … DO NOTHING) and the request gets
-- 409 request_in_progress. Top-ups have no order (NULL order_id) and are not limited.
--
-- Before this index, two /pay requests of one order could both be in flight. Such rows are
-- never changed here (they are money records): the migration stops with a message, and an
-- operator lets payment recovery finish them (a few seconds to minutes) before starting again.
-- (migrate.ts splits a script at semicolons that end a line: none inside the block does)
DO $$ DECLARE dup text; BEGIN
  SELECT order_id INTO dup FROM payments WHERE status = 'processing' AND order_id IS NOT NULL
    GROUP BY order_id HAVING count(*) > 1 LIMIT 1; IF dup IS NOT NULL THEN
    RAISE EXCEPTION 'order % has more than one card payment in flight; let payment recovery settle them (run the previous version until no order has two processing payments), then migrate again', dup; END IF; END $$;
CREATE UNIQUE INDEX payments_one_processing_per_order ON payments (order_id)
  WHERE status = 'processing' AND order_id IS NOT NULL;
