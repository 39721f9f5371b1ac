-- Whether the job has loaded its file (a retry of a load that failed to commit may have, since).
SELECT EXISTS (SELECT 1 FROM data_processing_jobs WHERE id = %(job_id)s AND status = 'succeeded')
