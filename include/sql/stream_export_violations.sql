-- The stream route's staged view of one job: its violations in the violation format of
-- docs/architecture.md, as CSV.
COPY (
    SELECT row_number, field, violation_type, regulation, severity, rule
    FROM data_compliance_violations
    WHERE file_id = %(file_id)s AND job_id = %(job_id)s
    ORDER BY row_number, field, violation_type
) TO STDOUT (FORMAT csv)
