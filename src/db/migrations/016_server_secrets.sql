-- Server-wide secrets, one row per purpose, generated (random) by the first process that needs
-- one and then read by every process on this database, so they all agree. First use: the key of
-- the HMAC over idempotent requests (http/idempotency.ts, db/idempotency.ts serverSecret).
CREATE TABLE server_secrets (
  name text PRIMARY KEY,
  secret text NOT NULL
);

-- Webhook events no longer carry credentials (app/emit-event.ts): the isp_batch events already in
-- the outbox lose the proxy password too, so retries and replays do not send it.
UPDATE events SET data = data - 'password' WHERE type LIKE 'isp_batch.%';
