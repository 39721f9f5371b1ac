INSERT INTO data_compliance_violations
    (file_id, job_id, row_number, field, violation_type, regulation, severity, rule)
SELECT %(file_id)s, %(job_id)s, row_number, field, violation_type, regulation, severity, rule
FROM staged_violations
