-- What an actor last recorded as the end of an object (archived, quarantined, failed): a retried
-- group task reads back how its earlier try left a file it had started to finalize
-- (include/ingest_group.py).
SELECT action
FROM system_audit_log
WHERE actor = %(actor)s
  AND object_type = %(object_type)s
  AND object_id = %(object_id)s
  AND action = ANY(%(actions)s)
ORDER BY id DESC
LIMIT 1
