-- Only for a job published twice, whose rows may already be stored: the batch goes through these
-- and is inserted with ON CONFLICT DO NOTHING.
CREATE TEMP TABLE stream_rows (
    file_id bigint, job_id bigint, row_number bigint, payload jsonb, token_keys bigint[]
) ON COMMIT DROP;
CREATE TEMP TABLE stream_violations (
    file_id bigint, job_id bigint, row_number bigint, field text, violation_type text, regulation text,
    severity text, rule text
) ON COMMIT DROP
