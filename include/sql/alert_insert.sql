INSERT INTO pipeline_alerts (kind, dag_id, run_id, task_id, message, details)
VALUES (%(kind)s, %(dag_id)s, %(run_id)s, %(task_id)s, %(message)s, %(details)s)
RETURNING id
