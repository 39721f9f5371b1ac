-- The vault entries of one staged set or micro-batch, COPY'd (CSV, bytea as \x hex) before insert.
CREATE TEMP TABLE staged_vault (
    token text, id_type text, key_id text, nonce bytea, ciphertext bytea
) ON COMMIT DROP
