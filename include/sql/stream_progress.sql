-- One stream job's progress (include/streaming/status.py).
SELECT job_id, file_id, domain, anonymize, columns, rows_total, rows_loaded, rows_quarantined, violations,
       completed_at IS NOT NULL AS completed, superseded_by, republished,
       pre_processing_s, pure_processing_s, post_processing_s, started_at, completed_at
FROM stream_file_state
WHERE job_id = %(job_id)s
