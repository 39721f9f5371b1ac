-- Vault entries of the purged file's tokens (and those it stored first) that no remaining record
-- holds: nothing is left for them to re-identify. A digest with a purged prefix lies between the
-- prefix and the prefix followed by twelve "z" (the largest of [a-z2-7]; digests have 24).
DELETE FROM identity_vault AS v
WHERE v.token IN (
        SELECT token FROM identity_vault WHERE file_id = %(file_id)s
        UNION
        SELECT c.token
        FROM purged_digest_prefixes AS p
        JOIN identity_vault AS c
          ON c.token_digest BETWEEN p.prefix AND p.prefix || 'zzzzzzzzzzzz')
  AND NOT EXISTS (
      SELECT 1 FROM data_records AS r
      WHERE (r.token_keys @> ARRAY[sdp_digest_key(v.token_digest)]
             OR (r.token_keys IS NULL
                 AND sdp_token_keys(r.payload) @> ARRAY[sdp_digest_key(v.token_digest)]))
        AND strpos(r.payload::text, v.token) > 0)
