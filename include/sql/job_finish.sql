-- NULL metrics keep the stored values, so a job can be finished in steps.
UPDATE data_processing_jobs
SET status = %(status)s,
    records_in = COALESCE(%(records_in)s, records_in),
    records_loaded = COALESCE(%(records_loaded)s, records_loaded),
    records_quarantined = COALESCE(%(records_quarantined)s, records_quarantined),
    violations = COALESCE(%(violations)s, violations),
    pre_processing_s = COALESCE(%(pre_processing_s)s, pre_processing_s),
    pure_processing_s = COALESCE(%(pure_processing_s)s, pure_processing_s),
    post_processing_s = COALESCE(%(post_processing_s)s, post_processing_s),
    records_per_second = COALESCE(%(records_per_second)s, records_per_second),
    finished_at = now()
WHERE id = %(job_id)s
