-- Servers (SPEC §7): temporary upgrades, trials and conversions.
--
-- temp_upgrade: while a server runs a higher spec for a while, `spec` is the spec it runs now
-- (what settlement bills each hour) and temp_base_spec the one it goes back to at temp_until
-- (a one-off job reverts it). Both are null when no temporary upgrade is running.
ALTER TABLE servers ADD COLUMN temp_base_spec text
  CHECK (temp_base_spec IS NULL OR temp_base_spec IN ('s1.small', 's1.medium', 's1.large', 's1.xlarge'));
ALTER TABLE servers ADD COLUMN temp_until timestamptz;
ALTER TABLE servers ADD CONSTRAINT servers_temp_upgrade_check
  CHECK ((temp_base_spec IS NULL) = (temp_until IS NULL));

-- trial: a free server for a set time (period_start … period_end is the trial window, nothing
-- paid); `convert` turns it into a prepaid or postpaid one, else a job stops it at its end.
ALTER TABLE servers DROP CONSTRAINT servers_payment_mode_check;
ALTER TABLE servers ADD CONSTRAINT servers_payment_mode_check
  CHECK (payment_mode IN ('prepaid', 'postpaid', 'trial'));
CREATE INDEX servers_trial_end_idx ON servers (period_end) WHERE payment_mode = 'trial' AND status <> 'stopped';

-- One trial per account, ever (SPEC §7): the primary key is the guard two concurrent trial
-- orders race on; the loser's transaction rolls back with its order and server.
CREATE TABLE server_trials (
  account_id text PRIMARY KEY REFERENCES accounts (id),
  server_id text NOT NULL REFERENCES servers (id),
  order_id text NOT NULL REFERENCES orders (id),
  created_at timestamptz NOT NULL
);
