-- Staged columns are positional (_row, c1, c2, ...) so any column name fits; the payload keys
-- come from the staged names when inserting.
CREATE TEMP TABLE staged_records ({columns}) ON COMMIT DROP
