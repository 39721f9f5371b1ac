-- Rows and violations of a republished job that are not stored yet; returns how many were new.
WITH records AS (
    INSERT INTO data_records (file_id, job_id, row_number, payload, token_keys)
    SELECT file_id, job_id, row_number, payload, token_keys FROM stream_rows
    ON CONFLICT (file_id, row_number) DO NOTHING
    RETURNING 1
), violations AS (
    INSERT INTO data_compliance_violations
        (file_id, job_id, row_number, field, violation_type, regulation, severity, rule)
    SELECT * FROM stream_violations
    ON CONFLICT (file_id, row_number, field, violation_type) DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM violations)
