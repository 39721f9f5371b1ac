-- A token is deterministic: the same value from another file or batch is already stored, and keeps
-- its first entry. One entry per token of this set (parts of one job may repeat a token).
INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext, file_id)
SELECT DISTINCT ON (token) token, id_type, key_id, nonce, ciphertext, %(file_id)s
FROM staged_vault
ORDER BY token
ON CONFLICT (token) DO NOTHING
