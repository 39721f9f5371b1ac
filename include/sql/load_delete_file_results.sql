-- Reprocessing: drop the file's earlier results inside the loading transaction, so readers see
-- the old set until commit and the new set after it.
WITH deleted_records AS (DELETE FROM data_records WHERE file_id = %(file_id)s),
     deleted_violations AS (DELETE FROM data_compliance_violations WHERE file_id = %(file_id)s)
DELETE FROM data_quarantine WHERE file_id = %(file_id)s
