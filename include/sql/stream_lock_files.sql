-- A micro-batch holds its files' load locks shared (load_lock_file_key.sql) and their rows FOR KEY
-- SHARE: a load on another route either waits for the batch, then replaces its rows, or commits
-- first, and the batch then sees the older stream job superseded.
SELECT id, pg_advisory_xact_lock_shared(hashtext('sdp_file_load'), (id %% 2147483647)::int)
FROM data_files WHERE id = ANY(%(file_ids)s) ORDER BY id FOR KEY SHARE
