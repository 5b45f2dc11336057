-- Settlement of postpaid servers (SPEC §7; app/settlement, docs/decisions.md "Postpaid settlement").
--
-- Hours are UTC clock hours [h, h + 1 h). A postpaid server pays every clock hour it ran in any part
-- of (its first started hour and the hour it was stopped or suspended in included), at its spec's
-- hourly price, once.
--
-- server_billing.billed_through is the settlement cursor: every hour before it is billed (no row:
-- nothing yet, the cursor is the clock hour of servers.created_at). Settlement moves it forward
-- only from the value it read (compare-and-set, prev_through) in the statement that writes the
-- hours' charges, so a re-run, a crash or a second worker never bills an hour twice. A narrow table
-- of its own (fillfactor 50, no index on the cursor) so that moving 10,000 cursors an hour is a
-- HOT update each, not a new version of a wide servers row in all of its indexes.
CREATE TABLE server_billing (
  server_id text PRIMARY KEY REFERENCES servers (id),
  billed_through timestamptz NOT NULL,
  -- the cursor it moved from (the compare-and-set's expected value; NULL when set by a resume)
  prev_through timestamptz
) WITH (fillfactor = 50);

-- suspended_at / suspended_reason: the current suspension ('arrears': the account's arrears passed
-- ORDERDESK_ARREARS_SUSPEND_CENTS); resumed_at: the last resume (paying the arrears). A suspended
-- server pays no hour after the one it was suspended in; it resumes billing from the resume hour.
ALTER TABLE servers ADD COLUMN suspended_at timestamptz;
ALTER TABLE servers ADD COLUMN suspended_reason text CHECK (suspended_reason IN ('arrears'));
ALTER TABLE servers ADD COLUMN resumed_at timestamptz;
CREATE INDEX servers_postpaid_billing_idx ON servers (account_id)
  WHERE payment_mode = 'postpaid';
CREATE INDEX servers_suspended_idx ON servers (account_id) WHERE status = 'suspended';

-- One row per settlement run (the job's, the admin route's or the CLI's).
CREATE TABLE settlement_runs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('server_hours')),
  -- the time the run settled up to (hours ending at or before it)
  at timestamptz NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  servers_billed integer NOT NULL DEFAULT 0,
  hours integer NOT NULL DEFAULT 0,
  covered_hours integer NOT NULL DEFAULT 0,
  charged_cents bigint NOT NULL DEFAULT 0,
  suspended_accounts integer NOT NULL DEFAULT 0,
  resumed_accounts integer NOT NULL DEFAULT 0
);
CREATE INDEX settlement_runs_started_idx ON settlement_runs (started_at DESC, id DESC);

-- One row per billed server-hour: what it cost, whether a reserved-instance coupon covered it (then
-- 0 and no ledger entry), and the cash ledger entry that charged it ('usage_charge', one per
-- server-hour). account_id and spec are the server's when the hour was billed (coupon matching
-- counts covered hours per account, spec and hour). Append-only and written by one statement
-- together with the rows it names (db/settlement.ts writeServerCharges), so it carries no foreign
-- keys: their per-row checks were a third of a settlement run's time (bench/settlement).
CREATE TABLE server_charges (
  server_id text NOT NULL,
  hour_from timestamptz NOT NULL,
  hour_to timestamptz NOT NULL,
  account_id text NOT NULL,
  spec text NOT NULL,
  unit_price4 bigint NOT NULL CHECK (unit_price4 >= 0),
  covered boolean NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  ledger_entry_id text,
  run_id bigint NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (server_id, hour_from),
  CHECK (hour_to > hour_from),
  CHECK (NOT covered OR amount_cents = 0)
);
CREATE INDEX server_charges_bucket_idx ON server_charges (account_id, spec, hour_from) WHERE covered;
CREATE INDEX server_charges_run_idx ON server_charges (run_id);

-- Metered traffic of postpaid servers (SPEC §7: "metered and settled daily"). A gateway reports a
-- server's traffic (POST /admin/v1/servers/{id}/traffic), idempotent by its report id per server;
-- the daily settlement charges each account's traffic of every UTC day that has ended, once: it
-- marks the reports with their charge (charge_id, in the transaction that writes the charge) and
-- only unmarked reports are ever charged. A report that arrives for a day already settled is
-- charged by the next run, as a charge of its own for that day.
CREATE TABLE server_traffic (
  server_id text NOT NULL REFERENCES servers (id),
  report_id text NOT NULL,
  account_id text NOT NULL REFERENCES accounts (id),
  bytes bigint NOT NULL CHECK (bytes >= 0),
  at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  charge_id text,
  PRIMARY KEY (server_id, report_id)
);
CREATE INDEX server_traffic_unsettled_idx ON server_traffic (account_id, at) WHERE charge_id IS NULL;

-- One row per account, UTC day and run that charged traffic: the bytes, the price per GB
-- (1/10000 USD, price book 'server' / 'traffic:gb'), the amount (half-up to the cent) and its
-- 'usage_charge' ledger entry (none when the amount rounds to 0.00).
CREATE TABLE server_traffic_charges (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  day date NOT NULL,
  bytes bigint NOT NULL CHECK (bytes >= 0),
  unit_price4 bigint NOT NULL CHECK (unit_price4 >= 0),
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  ledger_entry_id text,
  created_at timestamptz NOT NULL
);
CREATE INDEX server_traffic_charges_account_idx ON server_traffic_charges (account_id, day);

-- Postpaid server traffic: 0.10 USD per GB (10^9 bytes) by default; operators edit it as
-- `server.traffic.gb` in the price book.
INSERT INTO price_book (product, code, unit, min_quantity, unit_price4, updated_at) VALUES
  ('server', 'traffic:gb', 'gb', 1, 1000, now())
ON CONFLICT (product, code) DO NOTHING;
