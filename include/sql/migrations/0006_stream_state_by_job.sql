-- The stream route keys its bookkeeping by job, not by file: a file can be streamed again (a
-- user's reprocess, or another engine's parity run). The first file-start of a newer job replaces
-- the file's earlier results in its transaction and marks the older job's state superseded;
-- messages of an older job that arrive later are ignored.
ALTER TABLE stream_file_state
    DROP CONSTRAINT stream_file_state_pkey,
    ADD PRIMARY KEY (job_id),
    -- The newer job of the same file that replaced this one.
    ADD COLUMN superseded_by bigint,
    -- Partitions whose file-start message of this job was consumed. A second one on the same
    -- partition means the job was published again (a retried publish task): only then can rows
    -- repeat, so only then do the consumer's inserts need ON CONFLICT.
    ADD COLUMN start_partitions integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN republished boolean NOT NULL DEFAULT false;
CREATE INDEX stream_file_state_file_idx ON stream_file_state (file_id, job_id);

-- No query reads violations by regulation across files (every reader filters by file_id, which
-- the unique key serves), and keeping this index up to date was a fifth of the cost of inserting
-- a violation.
DROP INDEX data_compliance_violations_reg_idx;
