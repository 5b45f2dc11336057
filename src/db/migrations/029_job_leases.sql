-- The job queue (issue 13): each claim gives its jobs a lease token; a worker extends the lease of
-- a job just before running it and finishes it only while it still holds that token (a fencing
-- check: a job whose lease ran out and was claimed by another worker is not finished twice).
-- Done jobs are pruned after a retention (the prune_jobs job); failed ones are listed for operators.
ALTER TABLE jobs ADD COLUMN lease_token text;
CREATE INDEX jobs_done_idx ON jobs (done_at) WHERE done_at IS NOT NULL;
CREATE INDEX jobs_failed_idx ON jobs (failed_at DESC, id DESC) WHERE failed_at IS NOT NULL;
