-- The stream route's staged view of one job (include/ingest_stream.py): each row's number and its
-- anonymized payload as JSON text, in COPY's text format (the reader undoes its backslash doubling,
-- the only escape JSON text needs). Merging the row number into the payload here tripled the
-- server's time.
COPY (
    SELECT row_number, payload::text
    FROM data_records
    WHERE file_id = %(file_id)s AND job_id = %(job_id)s
    ORDER BY row_number
) TO STDOUT
