-- A stream job that was still running when a newer job of its file started never completes.
UPDATE data_processing_jobs SET status = 'failed', finished_at = now()
WHERE id = %(job_id)s AND status = 'running'
