-- Per file, what changes whenever its violations change: a new job (a reprocess replaces the
-- rows), a job finishing, or the stream consumer committing progress for it. Reads the jobs and
-- the stream bookkeeping only (one row per job), never the violations.
SELECT j.file_id,
       max(j.id) AS last_job,
       count(j.finished_at) AS finished_jobs,
       coalesce(sum(s.rows_loaded + s.rows_quarantined + s.violations)
                FILTER (WHERE s.completed_at IS NULL), 0)::bigint AS stream_progress
FROM data_processing_jobs AS j
LEFT JOIN stream_file_state AS s ON s.job_id = j.id
GROUP BY j.file_id;
