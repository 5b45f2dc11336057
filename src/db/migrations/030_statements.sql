-- Monthly statements (SPEC §7 settlement; issue 11): for every account whose postpaid resources
-- were billed in a calendar month (UTC), one statement of that month's postpaid charges — server
-- hours (with the hours coupons covered) per server and spec, metered traffic per day — issued
-- after the month ends (the monthly_statements job), mailed and listed at GET /v1/billing/statements.
-- One per account and month (the unique key): re-runs, crashes and two workers issue it once.
CREATE TABLE statements (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  server_hours integer NOT NULL CHECK (server_hours >= 0),
  covered_hours integer NOT NULL CHECK (covered_hours >= 0),
  server_cents bigint NOT NULL CHECK (server_cents >= 0),
  traffic_bytes bigint NOT NULL CHECK (traffic_bytes >= 0),
  traffic_cents bigint NOT NULL CHECK (traffic_cents >= 0),
  -- the account's cash balance when the statement was issued (negative: arrears)
  balance_cents bigint NOT NULL,
  servers jsonb NOT NULL,
  traffic jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  UNIQUE (account_id, period_start),
  CHECK (period_end > period_start)
);
CREATE INDEX statements_account_idx ON statements (account_id, period_start DESC, id DESC);
CREATE INDEX server_charges_account_hour_idx ON server_charges (account_id, hour_from);
CREATE INDEX server_charges_hour_idx ON server_charges (hour_from);
