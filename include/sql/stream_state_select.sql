SELECT file_id, job_id, domain, anonymize, columns, rows_total, completed_at IS NOT NULL AS completed
FROM stream_file_state
WHERE file_id = ANY(%(file_ids)s)
