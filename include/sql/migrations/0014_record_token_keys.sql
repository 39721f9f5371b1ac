-- Records found by bigint keys of their token digests instead of the digests as text.
--
-- Measured on a 1M-row file (load_bench): the records insert took 31-33 s with the GIN index on
-- data_records.token_digests (text[]), 14 s without it; a GIN over bigint keys derived from the
-- digests halved the index's cost (records insert CPU 26.3 -> 17.6 s): an int8 entry is compared
-- and stored far more cheaply than a 24-character text one.
--
-- The key of a digest is its first 12 base32 characters (RFC 4648 order: a-z = 0..25, 2-7 =
-- 26..31) read as one 60-bit integer. Two digests may share a key (a 2^-60 chance per pair): that
-- only adds a candidate, since every lookup still confirms the whole token in the payload with
-- strpos. The loader and the stream consumer compute the same keys in numpy
-- (include/db/token_digests.py).
--
-- A character's value is (its code - 24) mod 73: 'a'..'z' (97..122) -> 0..25, '2'..'7' (50..55) ->
-- 26..31. One expression without FROM, so the planner inlines the function.
CREATE FUNCTION sdp_digest_key(digest text) RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (((pg_catalog.ascii(pg_catalog.substr(digest,  1, 1)) - 24) % 73)::bigint << 55)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  2, 1)) - 24) % 73)::bigint << 50)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  3, 1)) - 24) % 73)::bigint << 45)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  4, 1)) - 24) % 73)::bigint << 40)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  5, 1)) - 24) % 73)::bigint << 35)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  6, 1)) - 24) % 73)::bigint << 30)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  7, 1)) - 24) % 73)::bigint << 25)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  8, 1)) - 24) % 73)::bigint << 20)
         | (((pg_catalog.ascii(pg_catalog.substr(digest,  9, 1)) - 24) % 73)::bigint << 15)
         | (((pg_catalog.ascii(pg_catalog.substr(digest, 10, 1)) - 24) % 73)::bigint << 10)
         | (((pg_catalog.ascii(pg_catalog.substr(digest, 11, 1)) - 24) % 73)::bigint <<  5)
         | (((pg_catalog.ascii(pg_catalog.substr(digest, 12, 1)) - 24) % 73)::bigint <<  0)
$$;

-- The 12 leading characters a key was read from: every digest of that key sorts between this prefix
-- and the prefix followed by twelve "z" (digests have 24 characters of [a-z2-7], "z" sorts last), so
-- retention finds the vault entries of a key with a range scan of their token_digest index.
CREATE FUNCTION sdp_key_digest_prefix(key bigint) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 55) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 50) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 45) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 40) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 35) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 30) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 25) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 20) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 15) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >> 10) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >>  5) & 31)::int + 1, 1)
        || pg_catalog.substr('abcdefghijklmnopqrstuvwxyz234567', ((key >>  0) & 31)::int + 1, 1)
$$;

-- The distinct keys of the digests 0009's sdp_token_digests finds in a payload, sorted: for rows
-- written without the column (older rows, writers other than the loader and the stream consumer).
-- Index expressions run with search_path restricted to pg_catalog, so the body names
-- sdp_digest_key with its schema (hence the EXECUTE); it reads the key straight from each piece,
-- whose first characters are the digest's.
DO $do$
BEGIN
    EXECUTE format($f$
        CREATE FUNCTION sdp_token_keys(payload jsonb) RETURNS bigint[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
            SELECT ARRAY(
                SELECT DISTINCT %I.sdp_digest_key(piece)
                FROM pg_catalog.unnest(pg_catalog.string_to_array(payload::text, '_')) AS piece
                WHERE piece ~ '^[a-z2-7]{24}'
                ORDER BY 1)
        $$$f$, current_schema());
END
$do$;

ALTER TABLE data_records ADD COLUMN token_keys bigint[];

-- The old indexes go first, so the backfill does not maintain them.
DROP INDEX data_records_token_digests_idx;
DROP INDEX data_records_payload_token_digests_idx;

UPDATE data_records
SET token_keys = ARRAY(SELECT DISTINCT sdp_digest_key(digest) FROM unnest(token_digests) AS digest ORDER BY 1)
WHERE token_digests IS NOT NULL;

ALTER TABLE data_records DROP COLUMN token_digests;

-- As in 0012: NULL means "not computed", and those rows are found by the expression index, so
-- every row is found by one of the two and lookups ask both (include/sql/subject_*.sql).
CREATE INDEX data_records_token_keys_idx ON data_records USING gin (token_keys)
    WHERE token_keys IS NOT NULL;
CREATE INDEX data_records_payload_token_keys_idx ON data_records USING gin (sdp_token_keys(payload))
    WHERE token_keys IS NULL;
