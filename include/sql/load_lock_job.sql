-- The job row is updated at the end of the load; locking it first keeps lock order file -> job.
SELECT file_id, status FROM data_processing_jobs WHERE id = %(job_id)s FOR UPDATE
