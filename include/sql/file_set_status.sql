-- NULL domain / row_count keep the stored values.
UPDATE data_files
SET status = %(status)s,
    domain = COALESCE(%(domain)s, domain),
    row_count = COALESCE(%(row_count)s, row_count),
    updated_at = now()
WHERE id = %(file_id)s
