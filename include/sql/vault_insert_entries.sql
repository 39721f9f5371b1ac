-- The fallback of vault_insert_new_entries (a concurrent transaction stored some of the tokens). A
-- token is deterministic: the same value from another file or batch is already stored, and keeps
-- its first entry. staged_vault holds one entry per token, sorted (include/db/vault.py).
INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext, file_id, token_digest)
SELECT token, id_type, key_id, nonce, ciphertext, %(file_id)s, token_digest
FROM staged_vault
ON CONFLICT (token) DO NOTHING
