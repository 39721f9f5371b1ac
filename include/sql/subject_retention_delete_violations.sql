DELETE FROM data_compliance_violations WHERE file_id = %(file_id)s
