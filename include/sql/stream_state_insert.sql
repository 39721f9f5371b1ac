-- The first file-start message of a file wins; the others (one per partition) change nothing.
INSERT INTO stream_file_state (file_id, job_id, domain, anonymize, columns)
VALUES (%(file_id)s, %(job_id)s, %(domain)s, %(anonymize)s, %(columns)s)
ON CONFLICT (file_id) DO NOTHING
