-- ISP batch expiry (issue 3 item 6, SPEC §6 Expiry): each reminder goes out once per expiry date
-- (cleared when the batch is renewed), and an auto-renewal is tried once per expiry date (a
-- declined card is mailed once; the batch then expires).
ALTER TABLE isp_batches ADD COLUMN reminded_7d_at timestamptz;
ALTER TABLE isp_batches ADD COLUMN reminded_1d_at timestamptz;
ALTER TABLE isp_batches ADD COLUMN auto_renew_failed_at timestamptz;

-- the sweeper's lookups: ready batches by expiry (isp_batches_expiry_idx covers ready and
-- expired by expires_at), expired batches by the end of their grace period
CREATE INDEX isp_batches_grace_idx ON isp_batches (grace_until) WHERE status = 'expired';
