-- Reserved-instance coupons (SPEC §7, ri_…): a 1- or 3-year coupon for `count` instances of a
-- server spec, bought with a `new` order of product reserved_instance, or created by an
-- `ri_adjust` order (split, merge, change spec) from the coupons it replaces.
--
-- value_cents is the coupon's value over its term [term_starts_at, term_ends_at): what was paid
-- for a bought coupon, what the apportionment allocated for an adjusted one (the seed's 价值分摊:
-- later adjustments and unsubscribes use it with the unsubscribe formula, value × unused / term).
-- starts_at / ends_at is when the coupon is valid (covers hourly server charges); status is the
-- stored state: an active coupon past ends_at is shown as expired (computed at read time, like
-- vouchers). created_by_order_id: the order that created it; replaced_by_order_id: the ri_adjust
-- order that replaced it (status adjusted).
CREATE TABLE reserved_instances (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts (id),
  spec text NOT NULL CHECK (spec IN ('s1.small', 's1.medium', 's1.large', 's1.xlarge')),
  count integer NOT NULL CHECK (count >= 1),
  years integer NOT NULL CHECK (years IN (1, 3)),
  status text NOT NULL CHECK (status IN ('active', 'adjusted', 'unsubscribed', 'expired')),
  value_cents bigint NOT NULL CHECK (value_cents >= 0),
  term_starts_at timestamptz NOT NULL,
  term_ends_at timestamptz NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  created_by_order_id text NOT NULL REFERENCES orders (id),
  replaced_by_order_id text REFERENCES orders (id),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (term_ends_at >= term_starts_at),
  CHECK (ends_at >= starts_at)
);
CREATE INDEX reserved_instances_account_idx ON reserved_instances (account_id, created_at DESC, id DESC);
-- settlement (later) looks up an account's valid coupons of a spec
CREATE INDEX reserved_instances_active_idx ON reserved_instances (account_id, spec, ends_at)
  WHERE status = 'active';
