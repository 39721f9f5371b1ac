-- A micro-batch holds its files' rows FOR KEY SHARE: a load on another route (FOR UPDATE on the
-- file, include/sql/load_lock_file.sql) either waits for the batch, then replaces its rows, or
-- commits first, and the batch then sees the older stream job superseded.
SELECT id FROM data_files WHERE id = ANY(%(file_ids)s) ORDER BY id FOR KEY SHARE
