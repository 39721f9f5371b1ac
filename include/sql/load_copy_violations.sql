-- The staged violations, checked on Arrow before (include/db/loader.py), straight into the results
-- table: CSV written by Arrow, file and job ids first, nulls as empty unquoted fields.
COPY data_compliance_violations
    (file_id, job_id, row_number, field, violation_type, regulation, severity, rule)
FROM STDIN (FORMAT csv)
