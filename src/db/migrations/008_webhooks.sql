-- Webhooks (SPEC §1): endpoints registered by accounts (or by operators, account_id null: they
-- receive every account's events), the events, and one delivery per event and endpoint: an
-- outbox written in the transaction of the event's cause and sent by the worker.

CREATE TABLE webhook_endpoints (
  id text PRIMARY KEY,
  account_id text REFERENCES accounts (id),
  url text NOT NULL CHECK (length(url) <= 2048),
  description text,
  -- the event types it receives; '*' is every type
  events text[] NOT NULL,
  -- the HMAC key, kept to sign with (shown to its owner once, at creation)
  secret text NOT NULL,
  status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  created_at timestamptz NOT NULL,
  deleted_at timestamptz
);
-- an account's (or, with account_id IS NULL, the operators') live endpoints, newest first; also
-- the "does anyone listen?" probe of the order hot path
CREATE INDEX webhook_endpoints_owner_idx ON webhook_endpoints (account_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL;

-- an event is written only when at least one endpoint receives it (data: the API's object)
CREATE TABLE events (
  id text PRIMARY KEY,
  account_id text REFERENCES accounts (id),
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX events_account_idx ON events (account_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
  id text PRIMARY KEY,
  event_id text NOT NULL REFERENCES events (id),
  endpoint_id text NOT NULL REFERENCES webhook_endpoints (id),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- pending: when the next attempt is due (injected clock)
  next_attempt_at timestamptz,
  -- a worker's claim (wall time): another worker may take the row over once it has passed
  locked_until timestamptz,
  -- retried until then, then failed: 3 days after the event (after the replay, for a replay)
  retry_until timestamptz NOT NULL,
  last_status integer,
  last_error text,
  delivered_at timestamptz,
  -- a replay: the delivery it repeats
  replay_of text,
  created_at timestamptz NOT NULL,
  CHECK ((status = 'pending') = (next_attempt_at IS NOT NULL))
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at DESC, id DESC);
CREATE INDEX webhook_deliveries_event_idx ON webhook_deliveries (event_id);
