-- Inside an erasure or purge transaction only: every lookup is by token digest, which the GIN
-- index answers in a few pages; a sequential scan (which the planner may pick right after a large
-- load, while the index's pending list is long) reads every record.
SET LOCAL enable_seqscan = off
