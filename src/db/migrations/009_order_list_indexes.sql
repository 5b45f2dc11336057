-- The order list's filters (SPEC §4, §8) at a million orders (bench/orders-list).
-- A customer's list always names the account, so each of its filters has an index leading with
-- account_id and ending in the page order (001 has product, type and payment_status; this adds
-- the fulfilment status). The operators' list (GET /admin/v1/orders) may name no account: their
-- status filters get indexes of their own, so a rare status (failed, refund_failed, ...) is read
-- from its own entries instead of filtering every order newest first. Product and type alone
-- are common enough across all accounts that walking orders_created_idx finds a page at once.
CREATE INDEX orders_account_fulfilment_idx ON orders (account_id, status, created_at DESC, id DESC);
CREATE INDEX orders_status_created_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_payment_status_created_idx ON orders (payment_status, created_at DESC, id DESC);
