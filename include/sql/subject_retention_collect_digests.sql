-- What the vault clean-up needs of a file's records, kept before the records go: the 12-character
-- digest prefixes their token keys were read from (migration 0014). The vault is searched by
-- prefix range on its token_digest index (subject_retention_delete_vault); the records' digests
-- themselves would have to be recomputed from every payload.
CREATE TEMP TABLE purged_digest_prefixes ON COMMIT DROP AS
SELECT DISTINCT sdp_key_digest_prefix(key) AS prefix
FROM data_records, unnest(coalesce(token_keys, sdp_token_keys(payload))) AS key
WHERE file_id = %(file_id)s
