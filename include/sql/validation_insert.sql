INSERT INTO data_validation_results (file_id, job_id, suite, success, evaluated, failed, summary)
VALUES (%(file_id)s, %(job_id)s, %(suite)s, %(success)s, %(evaluated)s, %(failed)s, %(summary)s)
RETURNING id
