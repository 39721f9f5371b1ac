-- A subject's records: every row whose payload holds the token, as a whole value or inside free
-- text. The GIN indexes on the digests find the candidates (the stored column, or the payload
-- expression for rows without it: migration 0012); strpos checks the whole token.
DELETE FROM data_records
WHERE (token_digests @> ARRAY[%(digest)s]::text[]
       OR (token_digests IS NULL AND sdp_token_digests(payload) @> ARRAY[%(digest)s]::text[]))
  AND strpos(payload::text, %(token)s) > 0
RETURNING file_id, row_number, coalesce(token_digests, sdp_token_digests(payload)) AS digests
