-- ISP batch lifecycle (issue 3 item 5, write side): the refresh is once per billing period, and
-- periods roll over without anyone resetting a flag, so the batch records the start of the period
-- its refresh was used in; refresh_used_in_period counts only while that period is the current one.
ALTER TABLE isp_batches ADD COLUMN refresh_period_start timestamptz;

-- a live IP's link to its batch (replace looks an IP up by its id)
CREATE INDEX isp_batch_ips_ip_idx ON isp_batch_ips (ip_id, assigned_at);
