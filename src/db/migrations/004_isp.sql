-- ISP static IPs (SPEC §6): stock, batches, the wait queue, replacements, stock alerts.

-- one row per IP the provider owns; status says where it is now
CREATE TABLE isp_ips (
  id text PRIMARY KEY,
  address text NOT NULL UNIQUE,
  port integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
  country text NOT NULL,
  city text NOT NULL,
  asn integer NOT NULL,
  lat double precision,
  lon double precision,
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'held', 'allocated', 'retired')),
  -- the order holding it (pay later) or the batch it is allocated to
  held_by_order_id text,
  batch_id text,
  imported_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((status = 'allocated') = (batch_id IS NOT NULL)),
  CHECK ((status = 'held') = (held_by_order_id IS NOT NULL))
);
CREATE INDEX isp_ips_stock_idx ON isp_ips (country, city, asn, id) WHERE status = 'available';
CREATE INDEX isp_ips_batch_idx ON isp_ips (batch_id) WHERE batch_id IS NOT NULL;
CREATE INDEX isp_ips_held_idx ON isp_ips (held_by_order_id) WHERE held_by_order_id IS NOT NULL;

CREATE TABLE isp_batches (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  order_id text NOT NULL REFERENCES orders (id),
  subuser_id text NOT NULL REFERENCES subusers (id),
  country text NOT NULL,
  city text,
  asn integer,
  quantity integer NOT NULL CHECK (quantity > 0),
  months integer NOT NULL CHECK (months IN (1, 12)),
  status text NOT NULL CHECK (status IN ('waiting_inventory', 'provisioning', 'ready', 'expired', 'released')),
  -- the batch's own password when rotated; null means the bound subuser's proxy password
  password text,
  auto_renew boolean NOT NULL DEFAULT false,
  substitution jsonb,
  period_started_at timestamptz,
  expires_at timestamptz,
  grace_until timestamptz,
  refresh_used_in_period boolean NOT NULL DEFAULT false,
  ready_at timestamptz,
  released_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX isp_batches_account_idx ON isp_batches (account_id, created_at DESC, id DESC);
CREATE INDEX isp_batches_expiry_idx ON isp_batches (expires_at) WHERE status IN ('ready', 'expired');

-- which IP served which batch when: "no IP in two live batches" is the partial unique index
CREATE TABLE isp_batch_ips (
  batch_id text NOT NULL REFERENCES isp_batches (id),
  ip_id text NOT NULL REFERENCES isp_ips (id),
  assigned_at timestamptz NOT NULL,
  released_at timestamptz,
  release_reason text
);
CREATE UNIQUE INDEX isp_batch_ips_live ON isp_batch_ips (ip_id) WHERE released_at IS NULL;
CREATE INDEX isp_batch_ips_batch_idx ON isp_batch_ips (batch_id, assigned_at);

-- ISP orders waiting for stock, first come first served
CREATE TABLE isp_wait_queue (
  order_id text PRIMARY KEY REFERENCES orders (id),
  batch_id text NOT NULL REFERENCES isp_batches (id),
  account_id text NOT NULL,
  country text NOT NULL,
  city text,
  asn integer,
  quantity integer NOT NULL,
  queued_at timestamptz NOT NULL,
  served_at timestamptz,
  cancelled_at timestamptz
);
CREATE INDEX isp_wait_queue_open_idx ON isp_wait_queue (queued_at, order_id) WHERE served_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE isp_replacements (
  id text PRIMARY KEY,
  batch_id text NOT NULL REFERENCES isp_batches (id),
  old_ip_id text NOT NULL,
  new_ip_id text NOT NULL,
  reason text NOT NULL,
  free boolean NOT NULL,
  counts_toward_quota boolean NOT NULL,
  order_id text,
  at timestamptz NOT NULL
);
CREATE INDEX isp_replacements_batch_idx ON isp_replacements (batch_id, at);

CREATE TABLE stock_alerts (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  country text NOT NULL,
  city text,
  asn integer,
  minimum integer NOT NULL CHECK (minimum > 0),
  armed boolean NOT NULL DEFAULT true,
  last_fired_at timestamptz,
  created_at timestamptz NOT NULL,
  deleted_at timestamptz
);
CREATE INDEX stock_alerts_account_idx ON stock_alerts (account_id, created_at DESC, id DESC);
CREATE INDEX stock_alerts_place_idx ON stock_alerts (country) WHERE deleted_at IS NULL;

-- outgoing mail: written in the transaction of its cause, sent by the worker
CREATE TABLE mail_outbox (
  id text PRIMARY KEY,
  account_id text,
  to_address text NOT NULL,
  kind text NOT NULL,
  subject text NOT NULL,
  body_text text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  last_error text,
  message_id text,
  sent_at timestamptz,
  created_at timestamptz NOT NULL
);
CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'sending');

-- ISP prices (SPEC §3): per IP per month by country, premium ASN surcharge, replacement fee
INSERT INTO price_book (product, code, unit, min_quantity, unit_price4, updated_at) VALUES
  ('isp', 'country:us', 'ip_month', 5, 50000, now()),
  ('isp', 'country:ca', 'ip_month', 5, 55000, now()),
  ('isp', 'country:gb', 'ip_month', 5, 55000, now()),
  ('isp', 'country:de', 'ip_month', 5, 55000, now()),
  ('isp', 'country:fr', 'ip_month', 5, 55000, now()),
  ('isp', 'country:nl', 'ip_month', 5, 50000, now()),
  ('isp', 'country:jp', 'ip_month', 5, 60000, now()),
  ('isp', 'country:sg', 'ip_month', 5, 60000, now()),
  ('isp', 'country:au', 'ip_month', 5, 65000, now()),
  ('isp', 'country:*', 'ip_month', 5, 70000, now()),
  ('isp', 'asn:7922', 'ip_month', 1, 10000, now()),
  ('isp', 'asn:20115', 'ip_month', 1, 10000, now()),
  ('isp', 'asn:7018', 'ip_month', 1, 10000, now()),
  ('isp', 'asn:701', 'ip_month', 1, 10000, now()),
  ('isp', 'replacement_fee', 'ip', 1, 10000, now())
ON CONFLICT (product, code) DO NOTHING;
