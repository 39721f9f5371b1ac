-- A subject's records: every row whose payload holds the token, as a whole value or inside free
-- text. The GIN index on the digests finds the candidates; strpos checks the whole token.
DELETE FROM data_records
WHERE sdp_token_digests(payload) @> ARRAY[%(digest)s]::text[]
  AND strpos(payload::text, %(token)s) > 0
RETURNING file_id, row_number, sdp_token_digests(payload) AS digests
