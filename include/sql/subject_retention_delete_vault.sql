-- Vault entries of the purged file's tokens (and those it stored first) that no remaining record
-- holds: nothing is left for them to re-identify.
DELETE FROM identity_vault AS v
WHERE (v.file_id = %(file_id)s
       OR v.token_digest IN (SELECT digest FROM purged_digests))
  AND NOT EXISTS (
      SELECT 1 FROM data_records AS r
      WHERE (r.token_digests @> ARRAY[v.token_digest]
             OR (r.token_digests IS NULL
                 AND sdp_token_digests(r.payload) @> ARRAY[v.token_digest]))
        AND strpos(r.payload::text, v.token) > 0)
