INSERT INTO system_audit_log (actor, action, object_type, object_id, details)
VALUES (%(actor)s, %(action)s, %(object_type)s, %(object_id)s, %(details)s)
RETURNING id
