-- One vault entry with its wrapped data key (re-identification).
SELECT v.id_type, v.key_id, v.nonce, v.ciphertext, k.master_key_id, k.wrapped_key
FROM identity_vault v
JOIN vault_data_keys k ON k.key_id = v.key_id
WHERE v.token = %(token)s
