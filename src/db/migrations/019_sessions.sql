-- Console sessions (SPEC §1, §10): the cookie's random token is stored only as its sha256 (like
-- API keys); the CSRF token every cookie-authenticated write must echo in X-CSRF-Token is kept
-- as is (it is worthless without the cookie). A session ends at expires_at (fixed at login) or
-- when logged out (revoked_at).
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX sessions_account_idx ON sessions (account_id, created_at DESC);
