-- Finished jobs' durations for the latency histograms: landed -> loaded per loaded file, and each
-- job's start -> finish per engine.
SELECT j.engine, j.status,
       extract(epoch FROM j.finished_at - j.started_at)::float8 AS job_seconds,
       CASE WHEN j.status = 'succeeded' THEN extract(epoch FROM j.finished_at - f.landed_at)::float8 END AS landed_to_loaded_seconds
FROM data_processing_jobs AS j
JOIN data_files AS f ON f.id = j.file_id
WHERE j.finished_at IS NOT NULL;
