-- Serialises loads of one file: a concurrent load waits here, then sees the winner's results.
SELECT sha256 FROM data_files WHERE id = %(file_id)s FOR UPDATE
