-- Staged columns are positional (_row, c1, c2, ...) so any column name fits; the payload keys
-- come from the staged names when inserting. token_keys: computed by the loader (0014).
CREATE TEMP TABLE staged_records ({columns}, token_keys bigint[]) ON COMMIT DROP
