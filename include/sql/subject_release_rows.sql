-- The values a release reads ({columns}: payload ->> 'name' per requested column) from the loaded
-- records of a dataset (files of that domain), optionally only some of its files.
SELECT {columns}
FROM data_records AS r
JOIN data_files AS f ON f.id = r.file_id
WHERE f.domain = %(dataset)s
  AND (%(file_ids)s::bigint[] IS NULL OR r.file_id = ANY (%(file_ids)s::bigint[]))
