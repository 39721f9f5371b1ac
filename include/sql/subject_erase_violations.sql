-- The violations of the erased rows (file_id, row_number pairs given as two parallel arrays).
DELETE FROM data_compliance_violations AS v
USING unnest(%(file_ids)s::bigint[], %(row_numbers)s::bigint[]) AS erased (file_id, row_number)
WHERE v.file_id = erased.file_id AND v.row_number = erased.row_number
