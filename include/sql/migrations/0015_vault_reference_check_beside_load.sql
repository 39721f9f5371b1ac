-- The vault part of a batch load runs on a connection of its own, beside the load's transaction
-- (include/db/vault_beside.py), and commits just before it. The load's transaction holds its
-- file's data_files row FOR UPDATE (include/sql/load_lock_file.sql) until it commits, so the vault
-- reference check's FOR KEY SHARE on that row would wait for the load, while the load waits for
-- its vault part: a wait PostgreSQL cannot see, that would never end.
--
-- The check now locks FOR KEY SHARE only the file rows no other transaction holds FOR UPDATE
-- (SKIP LOCKED), and checks that every referenced file exists. A row held FOR UPDATE is held by a
-- load or a retention purge of that file; neither deletes or renumbers it (no code path deletes a
-- data_files row). The key check is unchanged: no transaction holds a vault_data_keys row FOR
-- UPDATE but a key's deletion, which the check must wait for.
CREATE OR REPLACE FUNCTION sdp_check_vault_references() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing_keys bigint;
    missing_files bigint;
BEGIN
    PERFORM 1 FROM data_files WHERE id IN (SELECT file_id FROM new_rows) FOR KEY SHARE SKIP LOCKED;
    SELECT (SELECT count(*) FROM (SELECT DISTINCT key_id FROM new_rows) AS refs)
           - (SELECT count(*) FROM (SELECT 1 FROM vault_data_keys
                                    WHERE key_id IN (SELECT key_id FROM new_rows) FOR KEY SHARE) AS locked),
           (SELECT count(*) FROM (SELECT DISTINCT file_id FROM new_rows WHERE file_id IS NOT NULL) AS refs)
           - (SELECT count(*) FROM data_files WHERE id IN (SELECT file_id FROM new_rows))
    INTO missing_keys, missing_files;
    IF missing_keys <> 0 OR missing_files <> 0 THEN
        RAISE EXCEPTION 'insert or update on table "identity_vault" references % data key(s) and % file(s) that do not exist',
            missing_keys, missing_files
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
