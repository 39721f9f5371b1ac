-- Count a batch's work for one job; the row lock also serialises consumers sharing a file.
UPDATE stream_file_state
SET rows_loaded = rows_loaded + %(rows_loaded)s,
    rows_quarantined = rows_quarantined + %(rows_quarantined)s,
    violations = violations + %(violations)s,
    pre_processing_s = pre_processing_s + %(pre_processing_s)s,
    pure_processing_s = pure_processing_s + %(pure_processing_s)s,
    post_processing_s = post_processing_s + %(post_processing_s)s
WHERE job_id = %(job_id)s
