-- A row already stored (the file was published twice) is skipped; the count says what was new.
INSERT INTO data_records (file_id, job_id, row_number, payload)
SELECT %(file_id)s, %(job_id)s, _row, {payload} FROM stream_rows
ON CONFLICT (file_id, row_number) DO NOTHING
