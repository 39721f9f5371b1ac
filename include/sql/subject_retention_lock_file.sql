-- Serialises the purge with a load or reprocess of the same file (the loader locks this row too).
SELECT landed_at FROM data_files WHERE id = %(file_id)s FOR UPDATE
