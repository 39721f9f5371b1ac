SELECT id, status FROM data_files WHERE sha256 = %(sha256)s
