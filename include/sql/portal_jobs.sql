-- The most recent jobs with their file and live progress. A running stream job's counts come from
-- the consumer's bookkeeping (they grow per micro-batch); other jobs report when they finish.
SELECT j.id, j.file_id, f.path, f.status AS file_status, j.engine, j.route_reason, j.status,
       j.records_in,
       coalesce(j.records_loaded, s.rows_loaded) AS records_loaded,
       coalesce(j.records_quarantined, s.rows_quarantined) AS records_quarantined,
       coalesce(j.violations, s.violations) AS violations,
       coalesce(j.records_in, s.rows_total, f.row_count) AS records_expected,
       j.records_per_second, j.started_at, j.finished_at
FROM data_processing_jobs AS j
JOIN data_files AS f ON f.id = j.file_id
LEFT JOIN stream_file_state AS s ON s.job_id = j.id
WHERE (%(engine)s::text IS NULL OR j.engine = %(engine)s)
ORDER BY j.id DESC
LIMIT %(limit)s;
