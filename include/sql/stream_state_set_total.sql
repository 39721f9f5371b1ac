-- From the file-end message (one per partition, all with the same count).
UPDATE stream_file_state SET rows_total = %(rows_total)s
WHERE job_id = %(job_id)s AND rows_total IS NULL
