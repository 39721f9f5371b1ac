-- One page of a file's (anonymized) rows, by row number after a cursor: the (file_id, row_number)
-- unique index serves it at any depth.
SELECT row_number, job_id, payload
FROM data_records
WHERE file_id = %(file_id)s AND row_number > %(after)s
ORDER BY row_number
LIMIT %(limit)s;
