-- Table sizes from the catalogue (row estimates after ANALYZE/autovacuum, on-disk bytes): exact
-- counts of the large tables would scan them.
SELECT c.relname AS table_name, greatest(c.reltuples, 0)::bigint AS row_estimate,
       pg_total_relation_size(c.oid) AS total_bytes
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind = 'r'
  AND c.relname IN ('data_files', 'data_processing_jobs', 'data_records', 'data_compliance_violations',
                    'data_quarantine', 'data_validation_results', 'system_audit_log', 'pipeline_alerts')
ORDER BY c.relname;
