-- orderdesk: the foundation schema. Money columns are integer cents (*_cents) or, for unit
-- prices, 1/10000 USD (*_price4). Traffic is in bytes. Ids are typed text ids (prefix_ULID).

CREATE TABLE accounts (
  id text PRIMARY KEY,
  email text NOT NULL,
  name text NOT NULL,
  password_hash text,
  balance_cents bigint NOT NULL DEFAULT 0,
  kyc_status text NOT NULL DEFAULT 'not_submitted'
    CHECK (kyc_status IN ('not_submitted', 'pending', 'approved', 'rejected')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
  default_payment_method_id text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX accounts_email_key ON accounts (lower(email));
CREATE INDEX accounts_created_idx ON accounts (created_at DESC, id DESC);

CREATE TABLE kyc_submissions (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  legal_name text NOT NULL,
  country text NOT NULL,
  document_reference text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
  reason text,
  submitted_at timestamptz NOT NULL,
  decided_at timestamptz
);
CREATE INDEX kyc_submissions_account_idx ON kyc_submissions (account_id, submitted_at DESC);

CREATE TABLE subusers (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  username text NOT NULL UNIQUE,
  password text NOT NULL,
  name text,
  is_main boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX subusers_account_idx ON subusers (account_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX subusers_one_main ON subusers (account_id) WHERE is_main;

-- per subuser and bandwidth product: optional cap and the bytes used so far
CREATE TABLE subuser_usage (
  subuser_id text NOT NULL REFERENCES subusers (id),
  product text NOT NULL,
  cap_bytes bigint CHECK (cap_bytes IS NULL OR cap_bytes >= 0),
  used_bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (subuser_id, product)
);

-- traffic pool per account and bandwidth product; remaining_bytes is the cached sum of its
-- ledger entries (asset 'pool:<product>')
CREATE TABLE traffic_pools (
  account_id text NOT NULL REFERENCES accounts (id),
  product text NOT NULL,
  remaining_bytes bigint NOT NULL DEFAULT 0,
  purchased_bytes bigint NOT NULL DEFAULT 0,
  used_bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (account_id, product)
);

CREATE TABLE usage_lines (
  id text PRIMARY KEY,
  subuser_id text NOT NULL,
  account_id text NOT NULL,
  product text NOT NULL,
  bytes bigint NOT NULL,
  at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL
);
CREATE INDEX usage_lines_account_idx ON usage_lines (account_id, at);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  name text,
  key_hash text NOT NULL UNIQUE,
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_account_idx ON api_keys (account_id);

CREATE TABLE admin_tokens (
  id text PRIMARY KEY,
  name text,
  token_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);

-- the price book: one row per (product, code); unit_price4 in 1/10000 USD
CREATE TABLE price_book (
  product text NOT NULL,
  code text NOT NULL,
  unit text NOT NULL,
  min_quantity integer NOT NULL DEFAULT 1,
  unit_price4 bigint NOT NULL CHECK (unit_price4 >= 0),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (product, code)
);

CREATE TABLE payment_methods (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  gateway text NOT NULL,
  gateway_ref text NOT NULL,
  brand text NOT NULL,
  last4 text NOT NULL,
  exp_month integer NOT NULL,
  exp_year integer NOT NULL,
  created_at timestamptz NOT NULL,
  detached_at timestamptz
);
CREATE INDEX payment_methods_account_idx ON payment_methods (account_id, created_at DESC);

CREATE TABLE vouchers (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  remaining_cents bigint NOT NULL CHECK (remaining_cents >= 0),
  products text[],
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX vouchers_account_idx ON vouchers (account_id, created_at DESC, id DESC);

CREATE TABLE orders (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  product text NOT NULL,
  type text NOT NULL,
  status text NOT NULL,
  payment_status text NOT NULL,
  payment_mode text NOT NULL DEFAULT 'prepaid',
  original_cents bigint NOT NULL,
  discount_cents bigint NOT NULL,
  voucher_cents bigint NOT NULL,
  payable_cents bigint NOT NULL,
  paid_cents bigint NOT NULL,
  refunded_cents bigint NOT NULL DEFAULT 0,
  details jsonb NOT NULL DEFAULT '{}',
  unpaid_cancel_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX orders_account_created_idx ON orders (account_id, created_at DESC, id DESC);
CREATE INDEX orders_account_product_idx ON orders (account_id, product, created_at DESC, id DESC);
CREATE INDEX orders_account_type_idx ON orders (account_id, type, created_at DESC, id DESC);
CREATE INDEX orders_account_status_idx ON orders (account_id, payment_status, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_unpaid_idx ON orders (unpaid_cancel_at) WHERE payment_status = 'pending_payment';

CREATE TABLE order_line_items (
  id text PRIMARY KEY,
  order_id text NOT NULL REFERENCES orders (id),
  position integer NOT NULL,
  product text NOT NULL,
  config jsonb NOT NULL,
  previous_config jsonb,
  payment_mode text NOT NULL DEFAULT 'prepaid',
  duration text,
  instance_id text,
  status text NOT NULL,
  quantity integer NOT NULL,
  unit_price4 bigint NOT NULL,
  original_cents bigint NOT NULL,
  discount_cents bigint NOT NULL,
  voucher_cents bigint NOT NULL,
  payable_cents bigint NOT NULL,
  paid_cents bigint NOT NULL,
  starts_at timestamptz,
  ends_at timestamptz,
  UNIQUE (order_id, position)
);

CREATE TABLE order_events (
  id bigserial PRIMARY KEY,
  order_id text NOT NULL REFERENCES orders (id),
  at timestamptz NOT NULL,
  field text NOT NULL,
  from_state text,
  to_state text NOT NULL,
  cause text NOT NULL
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

-- a card charge: recorded before the gateway is called (status 'processing'), settled after
CREATE TABLE payments (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  purpose text NOT NULL CHECK (purpose IN ('order', 'top_up')),
  order_id text,
  payment_method_id text NOT NULL,
  gateway text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  status text NOT NULL CHECK (status IN ('processing', 'succeeded', 'failed', 'voided')),
  gateway_charge_id text,
  failure_code text,
  failure_message text,
  draft jsonb,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX payments_processing_idx ON payments (created_at) WHERE status = 'processing';
CREATE INDEX payments_account_idx ON payments (account_id, created_at DESC);

-- append-only: every change of a cash balance, a voucher or a traffic pool.
-- asset: 'cash' | 'voucher:<vch id>' | 'pool:<product>'; amount in cents (cash, voucher) or bytes (pool)
CREATE TABLE ledger_entries (
  id text PRIMARY KEY,
  seq bigserial NOT NULL UNIQUE,
  account_id text NOT NULL REFERENCES accounts (id),
  asset text NOT NULL,
  amount bigint NOT NULL,
  balance_after bigint NOT NULL,
  cause text NOT NULL,
  order_id text,
  payment_id text,
  memo text,
  created_at timestamptz NOT NULL
);
CREATE INDEX ledger_account_asset_idx ON ledger_entries (account_id, asset, seq DESC);

CREATE TABLE idempotency_keys (
  account_scope text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('running', 'done')),
  locked_until timestamptz NOT NULL,
  resource_type text,
  resource_id text,
  status_code integer,
  response_body text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (account_scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  dedupe_key text UNIQUE,
  run_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 25,
  locked_until timestamptz,
  last_error text,
  done_at timestamptz,
  failed_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX jobs_due_idx ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;

-- the test clock (ORDERDESK_TEST_CLOCK=1): one row, shared by every process
CREATE TABLE test_clock (
  id integer PRIMARY KEY CHECK (id = 1),
  now timestamptz NOT NULL
);

-- the sandbox payment gateway's own records (stands in for the card network)
CREATE TABLE sandbox_charges (
  id text PRIMARY KEY,
  idempotency_key text NOT NULL UNIQUE,
  card_token text NOT NULL,
  amount_cents bigint NOT NULL,
  status text NOT NULL,
  decline_code text,
  refunded_cents bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL
);
CREATE TABLE sandbox_cards (
  token text PRIMARY KEY,
  fingerprint text NOT NULL,
  behaviour text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE TABLE sandbox_refunds (
  idempotency_key text PRIMARY KEY,
  charge_id text NOT NULL REFERENCES sandbox_charges (id),
  amount_cents bigint NOT NULL,
  status text NOT NULL,
  failure_code text,
  created_at timestamptz NOT NULL
);
