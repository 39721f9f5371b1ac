-- Files, newest first, each with its latest job's route (engine), the router's reason and counts.
SELECT f.id, f.path, f.format, f.domain, f.size_bytes, f.row_count, f.status, f.landed_at, f.updated_at,
       j.id AS job_id, j.engine, j.route_reason, j.status AS job_status, j.records_loaded,
       j.records_quarantined, j.violations,
       (SELECT q.reason FROM data_quarantine AS q
         WHERE q.file_id = f.id AND q.row_number IS NULL ORDER BY q.id DESC LIMIT 1) AS quarantine_reason
FROM data_files AS f
LEFT JOIN LATERAL (
    SELECT * FROM data_processing_jobs AS jj WHERE jj.file_id = f.id ORDER BY jj.id DESC LIMIT 1
) AS j ON true
ORDER BY f.id DESC
LIMIT %(limit)s OFFSET %(offset)s;
