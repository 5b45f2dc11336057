-- Auto top-up (SPEC §2): per account and bandwidth product, "when the pool falls below
-- below_bytes, buy buy_gb GB", with a monthly spend cap. A crossing is the usage draw-down that
-- takes the pool from at or above the line to below it (seen inside the usage transaction, where
-- the pool row is locked); it enqueues one job whose dedupe key is the crossing's ledger entry, and
-- the job places the order under an idempotency key of that same entry, so one crossing places at
-- most one order. running_until: one top-up of a rule in flight at a time (the cap check and the
-- order are not one transaction). The month's auto spend is computed from the orders whose
-- details carry source 'auto_top_up' (partial index below).
CREATE TABLE auto_top_ups (
  account_id text NOT NULL REFERENCES accounts (id),
  product text NOT NULL CHECK (product IN ('residential', 'mobile')),
  below_bytes bigint NOT NULL CHECK (below_bytes >= 0),
  buy_gb integer NOT NULL CHECK (buy_gb BETWEEN 1 AND 100000),
  monthly_cap_cents bigint NOT NULL CHECK (monthly_cap_cents > 0),
  enabled boolean NOT NULL,
  disabled_reason text,
  running_until timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, product)
);

CREATE INDEX orders_auto_top_up_idx ON orders (account_id, product, created_at)
  WHERE details ->> 'source' = 'auto_top_up';
