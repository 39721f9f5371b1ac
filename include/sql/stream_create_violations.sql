CREATE TEMP TABLE stream_violations (
    row_number bigint, field text, violation_type text, regulation text, severity text, rule text
) ON COMMIT DROP
