-- usage ingest (SPEC §2): each usage line points at the pool ledger entry that drew it down.
-- One entry covers all the lines of one account and product in one ingested batch; lines of
-- 0 bytes move nothing and point at nothing.
ALTER TABLE usage_lines ADD COLUMN ledger_entry_id text;
