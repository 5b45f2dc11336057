-- Refunds to their sources (SPEC §5, issue 4 item 4). One row per refund (an operator's refund,
-- or the full refund of a cancelled order) with its plan as the dry run showed it, and one row
-- per part: the card parts are refunded through the gateway after the transaction
-- ('pending' → 'succeeded' | 'failed'; an operator's retry makes a failed part 'pending' again
-- with the next attempt number, which is part of the gateway's idempotency key); the balance and
-- voucher parts are ledger entries written with the refund ('succeeded' at once); an expired
-- voucher's part is recorded as 'forfeited'.
CREATE TABLE order_refunds (
  id text PRIMARY KEY,
  order_id text NOT NULL REFERENCES orders (id),
  account_id text NOT NULL REFERENCES accounts (id),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  status text NOT NULL CHECK (status IN ('refunding', 'succeeded', 'failed')),
  -- the refund takes the order to `refunded` (all its lines with it) rather than `partially_refunded`
  whole boolean NOT NULL,
  reason text NOT NULL,
  requested_by text NOT NULL,
  plan jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX order_refunds_order_idx ON order_refunds (order_id, created_at);

CREATE TABLE order_refund_parts (
  refund_id text NOT NULL REFERENCES order_refunds (id),
  position integer NOT NULL,
  source text NOT NULL CHECK (source IN ('card', 'balance', 'voucher')),
  -- the payment (card) or the voucher; null for the balance
  source_id text,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'forfeited')),
  attempt integer NOT NULL DEFAULT 1,
  gateway_charge_id text,
  failure text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (refund_id, position)
);

-- what an order took and got back, from the ledger (its cash debits and voucher spends)
CREATE INDEX ledger_order_idx ON ledger_entries (order_id) WHERE order_id IS NOT NULL;
