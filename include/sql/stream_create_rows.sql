-- One file's rows of a micro-batch; positional columns (_row, c1, c2, ...) fit any column name.
CREATE TEMP TABLE stream_rows ({columns}) ON COMMIT DROP
