-- Before the next file of the same micro-batch.
DROP TABLE stream_rows, stream_violations
