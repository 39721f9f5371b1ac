-- A file-start message must name an existing job of an existing file.
SELECT 1 FROM data_processing_jobs WHERE id = %(job_id)s AND file_id = %(file_id)s
