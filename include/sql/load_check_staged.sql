-- Everything the loader checks before touching the results tables, in one pass per temp table.
SELECT
    (SELECT count(*) FROM staged_records) AS records,
    (SELECT count(*) - count(DISTINCT _row) FROM staged_records) AS records_duplicate_rows,
    (SELECT count(*) FROM staged_records
     WHERE _row IS NULL OR _row < 0 OR _row >= %(records_in)s) AS records_out_of_range,
    (SELECT count(*) FROM staged_violations) AS violations,
    (SELECT count(*) FROM (SELECT 1 FROM staged_violations
                           GROUP BY row_number, field, violation_type HAVING count(*) > 1) AS d)
        AS violations_duplicate_keys,
    (SELECT count(*) FROM staged_violations
     WHERE row_number IS NULL OR row_number < 0 OR row_number >= %(records_in)s) AS violations_out_of_range,
    (SELECT count(*) FROM staged_quarantine WHERE row_number IS NOT NULL) AS quarantined,
    (SELECT count(*) - count(DISTINCT row_number) FROM staged_quarantine WHERE row_number IS NOT NULL)
        AS quarantine_duplicate_rows,
    (SELECT count(*) FROM staged_quarantine
     WHERE row_number < 0 OR row_number >= %(records_in)s) AS quarantine_out_of_range,
    (SELECT count(*) FROM staged_quarantine AS q JOIN staged_records AS r ON r._row = q.row_number)
        AS quarantined_and_staged
