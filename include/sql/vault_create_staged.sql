-- The vault entries of one staged set or micro-batch, COPY'd (CSV, bytea as \x hex) before insert,
-- each with its token's digest (include/db/token_digests.py, migration 0013).
CREATE TEMP TABLE staged_vault (
    token text, id_type text, key_id text, nonce bytea, ciphertext bytea, token_digest text
) ON COMMIT DROP
