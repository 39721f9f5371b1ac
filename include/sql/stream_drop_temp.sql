-- Before the next file of the same micro-batch.
DROP TABLE IF EXISTS stream_rows, stream_violations
