-- What the staged entries hold: their number, and how many are not under the job's data key.
SELECT count(*) AS entries,
       count(*) FILTER (WHERE key_id IS DISTINCT FROM %(key_id)s) AS other_keys,
       count(*) FILTER (WHERE token IS NULL OR id_type IS NULL OR nonce IS NULL OR ciphertext IS NULL)
           AS incomplete
FROM staged_vault
