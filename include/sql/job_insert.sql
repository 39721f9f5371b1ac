INSERT INTO data_processing_jobs (file_id, engine, route_reason, dag_id, run_id)
VALUES (%(file_id)s, %(engine)s, %(route_reason)s, %(dag_id)s, %(run_id)s)
RETURNING id
