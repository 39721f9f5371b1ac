-- Before a file-start message is applied: does it name an existing job of its file, and which
-- is the newest job of the file the stream has seen so far.
SELECT EXISTS (SELECT 1 FROM data_processing_jobs WHERE id = %(job_id)s AND file_id = %(file_id)s),
       (SELECT max(job_id) FROM stream_file_state WHERE file_id = %(file_id)s)
