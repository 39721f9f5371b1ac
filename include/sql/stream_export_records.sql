-- The stream route's staged view of one job (include/ingest_stream.py): each row's anonymized
-- payload with its row number, as one JSON object per line (COPY's text format: the reader undoes
-- its backslash doubling, the only escape JSON text needs).
COPY (
    SELECT (payload || jsonb_build_object('_row', row_number))::text
    FROM data_records
    WHERE file_id = %(file_id)s AND job_id = %(job_id)s
    ORDER BY row_number
) TO STDOUT
