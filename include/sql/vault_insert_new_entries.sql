-- The staged tokens the vault does not hold yet (a token stored by another file or batch keeps its
-- first entry), without ON CONFLICT: include/db/vault.py runs it in a savepoint and falls back to
-- vault_insert_entries when a concurrent transaction stored one of them meanwhile. The scalar
-- subquery probes the primary key once per staged token, as ON CONFLICT did; NOT EXISTS was planned
-- as a hash anti-join reading the whole vault, which grows with every file.
INSERT INTO identity_vault (token, id_type, key_id, nonce, ciphertext, file_id, token_digest)
SELECT s.token, s.id_type, s.key_id, s.nonce, s.ciphertext, %(file_id)s, s.token_digest
FROM staged_vault AS s
WHERE (SELECT true FROM identity_vault AS v WHERE v.token = s.token LIMIT 1) IS NULL
