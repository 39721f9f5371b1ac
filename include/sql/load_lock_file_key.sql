-- The file's load lock, taken before its row: loads of one file run one after the other, and a load
-- waits for the stream route's micro-batches of the file, which hold the same key shared
-- (stream_lock_files.sql), or they wait for it. The row lock cannot do this: the load holds the
-- row FOR NO KEY UPDATE (load_lock_file.sql), which the batches' FOR KEY SHARE passes.
-- Key: (hash of a fixed name, file id); ids past 2^31 wrap, which only serialises two files' loads.
SELECT pg_advisory_xact_lock(hashtext('sdp_file_load'), (%(file_id)s::bigint %% 2147483647)::int)
