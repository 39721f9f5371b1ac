-- The token digests of a record (0009's sdp_token_digests) stored once, as a column the batch
-- loader fills from the staged Arrow data (include/db/token_digests.py), instead of recomputed from
-- the payload text by the index expression for every inserted row. Measured on a 1M-row file: the
-- expression (payload::text, split, a regex per piece) cost the load about 12 s of the index's 30 s.
--
-- The column holds the distinct digests, sorted; erasure and retention use it as a set. NULL means
-- "not computed": rows loaded before this migration and rows the stream consumer writes (it does
-- not fill the column). Those keep the expression index, now partial, so every row is found by one
-- of the two indexes, and lookups ask both (include/sql/subject_*.sql).
ALTER TABLE data_records ADD COLUMN token_digests text[];

DROP INDEX data_records_token_digests_idx;
CREATE INDEX data_records_token_digests_idx ON data_records USING gin (token_digests)
    WHERE token_digests IS NOT NULL;
CREATE INDEX data_records_payload_token_digests_idx ON data_records USING gin (sdp_token_digests(payload))
    WHERE token_digests IS NULL;
