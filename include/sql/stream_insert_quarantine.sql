-- Quarantined rows of a batch. A row of a known file is stored once however often it was
-- published (messages without a file or row are each stored); returns the job of each new row
-- so the job's count can be updated.
INSERT INTO data_quarantine (file_id, job_id, row_number, reason)
SELECT DISTINCT ON (batch.file_id, batch.row_number, CASE WHEN batch.row_number IS NULL THEN batch.n END)
       batch.file_id, batch.job_id, batch.row_number, batch.reason
FROM unnest(%(file_ids)s::bigint[], %(job_ids)s::bigint[], %(rows)s::bigint[], %(reasons)s::text[])
    WITH ORDINALITY AS batch (file_id, job_id, row_number, reason, n)
WHERE batch.row_number IS NULL
   OR NOT EXISTS (SELECT 1 FROM data_quarantine AS q
                  WHERE q.file_id = batch.file_id AND q.row_number = batch.row_number)
RETURNING job_id, row_number
