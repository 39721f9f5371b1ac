-- The job row is updated at the end of the load; locking it first keeps lock order file -> job.
-- FOR NO KEY UPDATE: the job check of the violations inserted beside (include/db/beside.py) takes
-- FOR KEY SHARE on it.
SELECT file_id, status FROM data_processing_jobs WHERE id = %(job_id)s FOR NO KEY UPDATE
