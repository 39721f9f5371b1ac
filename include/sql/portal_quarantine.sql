-- Recent quarantine entries with their file: the reason is a description, never row content.
SELECT q.id, q.file_id, f.path, q.job_id, q.row_number, q.reason, q.quarantined_at
FROM data_quarantine AS q
LEFT JOIN data_files AS f ON f.id = q.file_id
ORDER BY q.id DESC
LIMIT %(limit)s;
