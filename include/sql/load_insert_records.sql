-- payload: jsonb_build_object over the staged columns, keyed by their original names.
INSERT INTO data_records (file_id, job_id, row_number, payload, token_keys)
SELECT %(file_id)s, %(job_id)s, _row, {payload}, token_keys FROM staged_records
