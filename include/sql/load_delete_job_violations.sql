-- The violations a load's second connection stored, when the load's own transaction failed to
-- commit after them (include/db/beside.py): a first load's, so every violation of its job.
DELETE FROM data_compliance_violations WHERE file_id = %(file_id)s AND job_id = %(job_id)s
