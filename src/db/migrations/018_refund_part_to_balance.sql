-- A card refund the gateway keeps refusing (a closed card) can be settled by an operator to the
-- customer's balance instead: its card parts become 'to_balance' (still owed to that card as far as
-- the refund plan counts, so never refunded twice) and the balance is credited their amount.
ALTER TABLE order_refund_parts DROP CONSTRAINT order_refund_parts_status_check;
ALTER TABLE order_refund_parts ADD CONSTRAINT order_refund_parts_status_check
  CHECK (status IN ('pending', 'succeeded', 'failed', 'forfeited', 'to_balance'));
