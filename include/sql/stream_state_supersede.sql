-- A newer job of the file started: the older jobs' states stop counting. Returns the older jobs
-- that had not completed (they never will).
UPDATE stream_file_state
SET superseded_by = %(job_id)s
WHERE file_id = %(file_id)s AND job_id < %(job_id)s AND superseded_by IS NULL
RETURNING job_id, completed_at IS NULL AS unfinished
