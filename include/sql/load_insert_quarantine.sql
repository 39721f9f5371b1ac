INSERT INTO data_quarantine (file_id, job_id, row_number, reason)
SELECT %(file_id)s, %(job_id)s, row_number, reason FROM staged_quarantine
