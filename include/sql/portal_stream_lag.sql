-- Rows the stream consumer was announced (file-end message) but has not committed yet, over the
-- unfinished, not superseded stream jobs: the consumer's lag in rows.
SELECT coalesce(sum(greatest(rows_total - rows_loaded - rows_quarantined, 0)), 0)::bigint AS rows_behind,
       count(*) AS jobs_open
FROM stream_file_state
WHERE completed_at IS NULL AND superseded_by IS NULL;
