-- The file row, after its load lock (load_lock_file_key.sql). FOR NO KEY UPDATE, not FOR UPDATE:
-- the load's second connection (include/db/beside.py) inserts violations whose foreign key takes
-- FOR KEY SHARE on this row, and must not wait for the load.
SELECT sha256 FROM data_files WHERE id = %(file_id)s FOR NO KEY UPDATE
