-- Vault entries of the purged file's tokens (and those it stored first) that no remaining record
-- holds: nothing is left for them to re-identify. A candidate that shares only a key prefix with a
-- purged token (subject_retention_collect_digests) goes too only if no record holds its token.
-- A join with the candidates: `IN (SELECT ..)` beside the file's own entries was planned as a
-- subquery scanned again for every vault entry.
DELETE FROM identity_vault AS v
USING purged_vault_tokens AS purged
WHERE v.token = purged.token
  AND NOT EXISTS (
      SELECT 1 FROM data_records AS r
      WHERE (r.token_keys @> ARRAY[sdp_digest_key(v.token_digest)]
             OR (r.token_keys IS NULL
                 AND sdp_token_keys(r.payload) @> ARRAY[sdp_digest_key(v.token_digest)]))
        AND strpos(r.payload::text, v.token) > 0)
