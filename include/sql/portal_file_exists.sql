SELECT id, path, status, row_count FROM data_files WHERE id = %(file_id)s;
