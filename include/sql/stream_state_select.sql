-- Every stream state of the given files (the newest job of a file is the one that counts, unless
-- a load on another route superseded it).
SELECT job_id, file_id, domain, anonymize, columns, rows_total, completed_at IS NOT NULL, republished,
       superseded_by IS NOT NULL
FROM stream_file_state
WHERE file_id = ANY(%(file_ids)s)
