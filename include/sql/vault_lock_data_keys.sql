-- Every data key, locked for re-wrapping (key rotation): no load adds or reads one meanwhile.
SELECT key_id, master_key_id, wrapped_key
FROM vault_data_keys
ORDER BY key_id
FOR UPDATE
