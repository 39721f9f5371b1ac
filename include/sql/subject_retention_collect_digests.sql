-- Before a file's records go: the vault entries it stored and those of the tokens its records
-- hold, candidates for the vault clean-up (subject_retention_delete_vault). The records keep keys, not digests (migration 0014):
-- a key is the digest's first 12 characters, so the entries of a key are those whose token_digest
-- lies between that prefix and the prefix followed by twelve "z" (the largest of [a-z2-7]; digests
-- have 24), a range scan of the token_digest index per distinct key. OFFSET 0 keeps the scan inside
-- the loop over the keys: joined flat, the planner (no estimate for such ranges) compared every
-- key with every entry. Another digest with the same prefix (2^-60 a pair) only adds a candidate.
CREATE TEMP TABLE purged_vault_tokens ON COMMIT DROP AS
SELECT token FROM identity_vault WHERE file_id = %(file_id)s
UNION
SELECT entry.token
FROM (SELECT DISTINCT unnest(coalesce(token_keys, sdp_token_keys(payload))) AS key
      FROM data_records
      WHERE file_id = %(file_id)s) AS purged
CROSS JOIN LATERAL (
    SELECT v.token
    FROM identity_vault AS v
    WHERE v.token_digest BETWEEN sdp_key_digest_prefix(purged.key)
                             AND sdp_key_digest_prefix(purged.key) || 'zzzzzzzzzzzz'
    OFFSET 0) AS entry
