-- A file is loaded once another job of it succeeded (possibly with every row quarantined) or rows
-- of it are stored (a retried job whose status was reset).
SELECT EXISTS (SELECT 1 FROM data_processing_jobs
               WHERE file_id = %(file_id)s AND id <> %(job_id)s AND status = 'succeeded')
    OR EXISTS (SELECT 1 FROM data_records WHERE file_id = %(file_id)s)
