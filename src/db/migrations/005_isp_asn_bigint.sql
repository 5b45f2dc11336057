-- ASNs are 32-bit unsigned (1 to 4294967295, SPEC §6 and domain/isp-pricing.ts isAsn), which an
-- integer column cannot hold above 2147483647: every asn column becomes bigint, so a valid ASN
-- is stored, never an out-of-range database error.
ALTER TABLE isp_ips ALTER COLUMN asn TYPE bigint;
ALTER TABLE isp_batches ALTER COLUMN asn TYPE bigint;
ALTER TABLE isp_wait_queue ALTER COLUMN asn TYPE bigint;
ALTER TABLE stock_alerts ALTER COLUMN asn TYPE bigint;
