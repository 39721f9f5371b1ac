-- The token digests of a file's records, kept for the vault clean-up after the records are gone.
CREATE TEMP TABLE purged_digests ON COMMIT DROP AS
SELECT DISTINCT unnest(coalesce(token_digests, sdp_token_digests(payload))) AS digest
FROM data_records
WHERE file_id = %(file_id)s
