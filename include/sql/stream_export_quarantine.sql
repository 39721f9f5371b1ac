-- The stream route's staged view of one job: the rows it quarantined (reason only, no values), as CSV.
COPY (
    SELECT row_number, reason
    FROM data_quarantine
    WHERE file_id = %(file_id)s AND job_id = %(job_id)s AND row_number IS NOT NULL
    ORDER BY row_number
) TO STDOUT (FORMAT csv)
