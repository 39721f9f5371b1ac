-- Files and jobs by status, for GET status and the metrics.
SELECT 'file' AS kind, status, count(*) AS n FROM data_files GROUP BY status
UNION ALL
SELECT 'job', status, count(*) FROM data_processing_jobs GROUP BY status;
