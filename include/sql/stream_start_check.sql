-- Before a file-start message is applied: does it name an existing job of its file, and the
-- newest job of the file whose results count: the newest the stream has seen, or the newest that
-- loaded the file on another route (a batch reprocess while this job's messages waited).
SELECT EXISTS (SELECT 1 FROM data_processing_jobs WHERE id = %(job_id)s AND file_id = %(file_id)s),
       GREATEST((SELECT max(job_id) FROM stream_file_state WHERE file_id = %(file_id)s),
                (SELECT max(id) FROM data_processing_jobs WHERE file_id = %(file_id)s AND status = 'succeeded'))
