-- Vault entries of the subject's token, and of every other token of the erased rows that no
-- remaining record holds (a token shared with other records still re-identifies those).
DELETE FROM identity_vault AS v
WHERE v.token = %(token)s
   OR (v.token_digest = ANY (%(digests)s::text[])
       AND NOT EXISTS (
           SELECT 1 FROM data_records AS r
           WHERE (r.token_keys @> ARRAY[sdp_digest_key(v.token_digest)]
                  OR (r.token_keys IS NULL
                      AND sdp_token_keys(r.payload) @> ARRAY[sdp_digest_key(v.token_digest)]))
             AND strpos(r.payload::text, v.token) > 0))
RETURNING v.token
