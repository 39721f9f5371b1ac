CREATE TEMP TABLE staged_quarantine (row_number bigint, reason text) ON COMMIT DROP
