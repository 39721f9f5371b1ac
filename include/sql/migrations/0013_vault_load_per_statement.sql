-- Storing vault entries checked once per statement, and their token digest computed by the writer.
--
-- Measured on the 1.18M distinct entries of a 1M-row file (load_bench, private PostgreSQL): the
-- insert into identity_vault took 60 s, of which about 27 s were the two row-level foreign keys
-- (a lookup + KEY SHARE lock on vault_data_keys and on data_files for every entry) and about 20 s
-- the expression index on sdp_token_digest(token) (a regular expression per entry, ~10 us).
--
-- 1. The foreign keys become 0007's per-statement check: the distinct key ids and file ids of the
--    new rows are looked up and locked FOR KEY SHARE, as the foreign keys did. The other direction
--    (a data key or a file that entries reference is neither deleted nor renumbered) is kept by row
--    triggers on vault_data_keys and data_files, which run after the row is locked, so an entry
--    committed meanwhile is seen.
ALTER TABLE identity_vault
    DROP CONSTRAINT identity_vault_key_id_fkey,
    DROP CONSTRAINT identity_vault_file_id_fkey;

CREATE FUNCTION sdp_check_vault_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing_keys bigint;
    missing_files bigint;
BEGIN
    SELECT (SELECT count(*) FROM (SELECT DISTINCT key_id FROM new_rows) AS refs)
           - (SELECT count(*) FROM (SELECT 1 FROM vault_data_keys
                                    WHERE key_id IN (SELECT key_id FROM new_rows) FOR KEY SHARE) AS locked),
           (SELECT count(*) FROM (SELECT DISTINCT file_id FROM new_rows WHERE file_id IS NOT NULL) AS refs)
           - (SELECT count(*) FROM (SELECT 1 FROM data_files
                                    WHERE id IN (SELECT file_id FROM new_rows) FOR KEY SHARE) AS locked)
    INTO missing_keys, missing_files;
    IF missing_keys <> 0 OR missing_files <> 0 THEN
        RAISE EXCEPTION 'insert or update on table "identity_vault" references % data key(s) and % file(s) that do not exist',
            missing_keys, missing_files
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER identity_vault_references_insert AFTER INSERT ON identity_vault
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sdp_check_vault_references();
CREATE TRIGGER identity_vault_references_update AFTER UPDATE ON identity_vault
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sdp_check_vault_references();

-- Row trigger of a referenced table: TG_ARGV[0] is identity_vault's referencing column,
-- TG_ARGV[1] the referenced column of the trigger's table.
CREATE FUNCTION sdp_protect_vault_referenced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    old_key text;
    new_key text;
    referenced boolean;
BEGIN
    EXECUTE format('SELECT ($1).%1$I::text, ($2).%1$I::text', TG_ARGV[1]) INTO old_key, new_key USING OLD, NEW;
    IF TG_OP = 'UPDATE' AND new_key = old_key THEN
        RETURN NEW;
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM identity_vault WHERE %I = ($1).%I)', TG_ARGV[0], TG_ARGV[1])
        INTO referenced USING OLD;
    IF referenced THEN
        RAISE EXCEPTION '% % % is still referenced by vault entries', TG_TABLE_NAME, TG_ARGV[1], old_key
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE TRIGGER vault_data_keys_protect_referenced BEFORE DELETE OR UPDATE OF key_id ON vault_data_keys
    FOR EACH ROW EXECUTE FUNCTION sdp_protect_vault_referenced('key_id', 'key_id');
CREATE TRIGGER data_files_protect_vault_entries BEFORE DELETE OR UPDATE OF id ON data_files
    FOR EACH ROW EXECUTE FUNCTION sdp_protect_vault_referenced('file_id', 'id');

-- 2. The token digest is a column (what sdp_token_digest(token) returns), filled by the vault writer
--    from Arrow (include/db/token_digests.py), and indexed as a plain column. A writer that leaves it
--    out (an entry inserted by hand) gets it from the trigger below; the WHEN clause keeps the
--    trigger function out of the loader's inserts.
ALTER TABLE identity_vault ADD COLUMN token_digest text;
UPDATE identity_vault SET token_digest = sdp_token_digest(token);

CREATE FUNCTION sdp_fill_vault_token_digest() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.token_digest := sdp_token_digest(NEW.token);
    RETURN NEW;
END
$$;

CREATE TRIGGER identity_vault_token_digest_insert BEFORE INSERT ON identity_vault
    FOR EACH ROW WHEN (NEW.token_digest IS NULL) EXECUTE FUNCTION sdp_fill_vault_token_digest();
CREATE TRIGGER identity_vault_token_digest_update BEFORE UPDATE OF token, token_digest ON identity_vault
    FOR EACH ROW EXECUTE FUNCTION sdp_fill_vault_token_digest();

DROP INDEX identity_vault_token_digest_idx;
CREATE INDEX identity_vault_token_digest_idx ON identity_vault (token_digest);
