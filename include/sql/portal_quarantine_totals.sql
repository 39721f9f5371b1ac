-- Quarantine entries: whole files (no row number) and single rows.
SELECT count(*) FILTER (WHERE row_number IS NULL) AS files, count(*) FILTER (WHERE row_number IS NOT NULL) AS rows
FROM data_quarantine;
