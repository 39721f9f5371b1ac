-- Marks a job complete once (all announced rows loaded or quarantined); returns its totals.
UPDATE stream_file_state
SET completed_at = now()
WHERE job_id = %(job_id)s
  AND superseded_by IS NULL
  AND completed_at IS NULL
  AND rows_total IS NOT NULL
  AND rows_loaded + rows_quarantined >= rows_total
RETURNING file_id, domain, rows_total, rows_loaded, rows_quarantined, violations,
          pre_processing_s, pure_processing_s, post_processing_s,
          extract(epoch FROM completed_at - started_at) AS elapsed_s
