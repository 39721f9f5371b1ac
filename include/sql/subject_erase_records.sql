-- A subject's records: every row whose payload holds the token, as a whole value or inside free
-- text. The GIN indexes on the keys of the digests find the candidates (the stored column, or the
-- payload expression for rows without it: migration 0014); strpos checks the whole token. The
-- digests of the erased rows (a few rows) are recomputed from their payload for the vault clean-up.
DELETE FROM data_records
WHERE (token_keys @> ARRAY[sdp_digest_key(%(digest)s)]
       OR (token_keys IS NULL AND sdp_token_keys(payload) @> ARRAY[sdp_digest_key(%(digest)s)]))
  AND strpos(payload::text, %(token)s) > 0
RETURNING file_id, row_number, sdp_token_digests(payload) AS digests
