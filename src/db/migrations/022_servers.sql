-- Dedicated servers (SPEC §7): one row per instance (ins_…). Prepaid servers carry their current
-- paid term [period_start, period_end) and what it is worth (paid, adjusted by spec changes) (the unsubscribe refund is
-- paid × unused / term); postpaid ones have no term and are billed hourly by settlement.
CREATE TABLE servers (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  spec text NOT NULL CHECK (spec IN ('s1.small', 's1.medium', 's1.large', 's1.xlarge')),
  payment_mode text NOT NULL CHECK (payment_mode IN ('prepaid', 'postpaid')),
  status text NOT NULL CHECK (status IN ('running', 'suspended', 'stopped')),
  period_start timestamptz,
  period_end timestamptz,
  paid_cents bigint NOT NULL DEFAULT 0 CHECK (paid_cents >= 0),
  -- prepaid: months in [period_start, period_end) (1, 12, or more after renewals); postpaid: null
  term_months integer CHECK (term_months IS NULL OR term_months > 0),
  order_id text NOT NULL REFERENCES orders (id),
  stopped_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (payment_mode = 'postpaid'
         OR (period_start IS NOT NULL AND period_end IS NOT NULL AND period_end > period_start)),
  CHECK ((status = 'stopped') = (stopped_at IS NOT NULL))
);
CREATE INDEX servers_account_created_idx ON servers (account_id, created_at DESC, id DESC);
CREATE INDEX servers_postpaid_running_idx ON servers (account_id) WHERE payment_mode = 'postpaid' AND status = 'running';

-- The server price book (src/domain/server-specs.ts serverPriceBookFromRows): monthly:<spec>
-- per instance-month (prepaid), hourly:<spec> per instance-hour (postpaid); 1/10000 USD.
INSERT INTO price_book (product, code, unit, min_quantity, unit_price4, updated_at) VALUES
  ('server', 'monthly:s1.small', 'month', 1, 200000, now()),
  ('server', 'monthly:s1.medium', 'month', 1, 400000, now()),
  ('server', 'monthly:s1.large', 'month', 1, 800000, now()),
  ('server', 'monthly:s1.xlarge', 'month', 1, 1600000, now()),
  ('server', 'hourly:s1.small', 'hour', 1, 300, now()),
  ('server', 'hourly:s1.medium', 'hour', 1, 600, now()),
  ('server', 'hourly:s1.large', 'hour', 1, 1200, now()),
  ('server', 'hourly:s1.xlarge', 'hour', 1, 2400, now())
ON CONFLICT (product, code) DO NOTHING;
