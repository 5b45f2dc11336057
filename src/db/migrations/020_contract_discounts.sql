-- Contract discounts (SPEC §3, §11): per account and product, a percent off the price after the
-- plan tier and yearly discounts, stored as integer basis points (1 = 0.01 %, 10000 = 100 %).
-- An account without a row for a product has no contract discount on it (0 % is not stored).
-- The primary key is the index the per-order read (and the principal read at authentication)
-- probes: account_id first.
CREATE TABLE contract_discounts (
  account_id text NOT NULL REFERENCES accounts (id),
  product text NOT NULL CHECK (product IN ('residential', 'mobile', 'isp', 'server', 'reserved_instance')),
  basis_points integer NOT NULL CHECK (basis_points BETWEEN 1 AND 10000),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, product)
);
