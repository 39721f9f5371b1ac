UPDATE vault_data_keys
SET master_key_id = %(master_key_id)s, wrapped_key = %(wrapped_key)s, rewrapped_at = now()
WHERE key_id = %(key_id)s
