-- A job that never reached an engine (a duplicate, an unreadable file) is labelled 'none' rather
-- than 'spark', so per-engine figures count only work an engine did.
ALTER TABLE data_processing_jobs DROP CONSTRAINT data_processing_jobs_engine_check;
ALTER TABLE data_processing_jobs
    ADD CONSTRAINT data_processing_jobs_engine_check CHECK (engine IN ('spark', 'stream', 'flink', 'local', 'none'));
UPDATE data_processing_jobs SET engine = 'none'
 WHERE status = 'duplicate' OR route_reason LIKE 'unreadable: %';
