-- payload: jsonb_build_object over the staged columns, keyed by their original names.
INSERT INTO data_records (file_id, job_id, row_number, payload, token_digests)
SELECT %(file_id)s, %(job_id)s, _row, {payload}, token_digests FROM staged_records
