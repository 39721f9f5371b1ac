-- The violations of some files counted by day, regulation, type and severity: the source of the
-- trends, the per-regulation summary and the violation metrics. Per file, so include/portal
-- recounts only files whose results changed; the (file_id, ...) unique index finds their rows.
SELECT file_id, date_trunc('day', detected_at)::date AS day, regulation, violation_type, severity,
       count(*) AS n
FROM data_compliance_violations
WHERE file_id = ANY(%(file_ids)s)
GROUP BY 1, 2, 3, 4, 5;
