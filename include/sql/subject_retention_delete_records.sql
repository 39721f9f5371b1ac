DELETE FROM data_records WHERE file_id = %(file_id)s
