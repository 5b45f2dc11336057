-- ISP orders (issue 3, items 2 and 4): the lookups placing, serving and cancelling them need.

-- a batch by the order that bought it (cancel a waiting order, show an order's batch)
CREATE INDEX isp_batches_order_idx ON isp_batches (order_id);

-- the open wait queue of one country, first come first served
CREATE INDEX isp_wait_queue_country_open_idx ON isp_wait_queue (country, queued_at, order_id)
  WHERE served_at IS NULL AND cancelled_at IS NULL;

-- an order's card payments (refunds go back to the card that paid)
CREATE INDEX payments_order_idx ON payments (order_id) WHERE order_id IS NOT NULL;
