-- Per engine: jobs by outcome, records, violations, throughput and time spent (finished jobs only
-- for the durations). The engine filter is optional.
SELECT engine,
       count(*) AS jobs,
       count(*) FILTER (WHERE status = 'running') AS running,
       count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE status IN ('failed', 'quarantined')) AS failed,
       coalesce(sum(records_in), 0)::bigint AS records_in,
       coalesce(sum(records_loaded), 0)::bigint AS records_loaded,
       coalesce(sum(records_quarantined), 0)::bigint AS records_quarantined,
       coalesce(sum(violations), 0)::bigint AS violations,
       avg(records_per_second) AS avg_records_per_second,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - started_at))
           FILTER (WHERE finished_at IS NOT NULL) AS p95_job_seconds,
       (avg(extract(epoch FROM finished_at - started_at)) FILTER (WHERE finished_at IS NOT NULL))::float8 AS avg_job_seconds,
       coalesce(sum(pre_processing_s), 0)::float8 AS pre_processing_s,
       coalesce(sum(pure_processing_s), 0)::float8 AS pure_processing_s,
       coalesce(sum(post_processing_s), 0)::float8 AS post_processing_s
FROM data_processing_jobs
WHERE (%(engine)s::text IS NULL OR engine = %(engine)s)
GROUP BY engine
ORDER BY engine;
