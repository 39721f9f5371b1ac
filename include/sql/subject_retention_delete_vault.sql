-- Vault entries of the purged file's tokens (and those it stored first) that no remaining record
-- holds: nothing is left for them to re-identify.
DELETE FROM identity_vault AS v
WHERE (v.file_id = %(file_id)s
       OR sdp_token_digest(v.token) IN (SELECT digest FROM purged_digests))
  AND NOT EXISTS (
      SELECT 1 FROM data_records AS r
      WHERE (r.token_digests @> ARRAY[sdp_token_digest(v.token)]
             OR (r.token_digests IS NULL
                 AND sdp_token_digests(r.payload) @> ARRAY[sdp_token_digest(v.token)]))
        AND strpos(r.payload::text, v.token) > 0)
