-- Account suspension by operators (SPEC §11, issue 12 item 3). accounts.status ('active' |
-- 'suspended', migration 001) is the state every order path and gateway authorize read; these
-- columns say why, when and by whom the current suspension was made (all null while active).
-- account_status_changes keeps every suspend and resume, newest first per account, for audit.
ALTER TABLE accounts ADD COLUMN suspended_reason text;
ALTER TABLE accounts ADD COLUMN suspended_at timestamptz;
ALTER TABLE accounts ADD COLUMN suspended_by text;

CREATE TABLE account_status_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  reason text,
  operator text NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX account_status_changes_account_idx ON account_status_changes (account_id, at DESC, id DESC);
