-- A job's data key, wrapped by the master key; stored once (a micro-batch may store it again).
INSERT INTO vault_data_keys (key_id, master_key_id, wrapped_key)
VALUES (%(key_id)s, %(master_key_id)s, %(wrapped_key)s)
ON CONFLICT (key_id) DO NOTHING
