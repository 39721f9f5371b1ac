-- Files of a domain that landed before the cutoff and still have records or violations.
SELECT f.id, f.landed_at
FROM data_files AS f
WHERE f.domain = %(domain)s
  AND f.landed_at < %(cutoff)s
  AND (EXISTS (SELECT 1 FROM data_records AS r WHERE r.file_id = f.id)
       OR EXISTS (SELECT 1 FROM data_compliance_violations AS v WHERE v.file_id = f.id))
ORDER BY f.id
