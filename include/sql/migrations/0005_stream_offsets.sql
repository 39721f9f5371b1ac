-- The stream route (include/streaming/). Its consumer writes rows, violations and the Kafka
-- offsets it consumed in one transaction, and resumes from these offsets on start: that is what
-- makes the stream exactly-once (Kafka's own committed offsets are never used).
CREATE TABLE stream_offsets (
    consumer_group  text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL CHECK (partition >= 0),
    next_offset     bigint      NOT NULL CHECK (next_offset >= 0),  -- the next message to read
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, partition)
);

-- One row per streamed file, written by the first file-start control message the consumer sees.
-- `columns` is the producer's classification of the file (from its first batch, as `sdp scan`
-- does), so every micro-batch, partition and consumer makes the same decisions. rows_total
-- arrives with the file-end message; the file is complete when loaded + quarantined rows reach it.
CREATE TABLE stream_file_state (
    file_id            bigint      PRIMARY KEY,
    job_id             bigint      NOT NULL,
    domain             text        NOT NULL,
    anonymize          text        NOT NULL CHECK (anonymize IN ('none', 'tokenize')),
    columns            jsonb       NOT NULL,
    rows_total         bigint      CHECK (rows_total >= 0),
    rows_loaded        bigint      NOT NULL DEFAULT 0,
    rows_quarantined   bigint      NOT NULL DEFAULT 0,
    violations         bigint      NOT NULL DEFAULT 0,
    pre_processing_s   double precision NOT NULL DEFAULT 0,  -- decoding messages
    pure_processing_s  double precision NOT NULL DEFAULT 0,  -- the compliance core
    post_processing_s  double precision NOT NULL DEFAULT 0,  -- writing to PostgreSQL
    started_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    FOREIGN KEY (job_id, file_id) REFERENCES data_processing_jobs (id, file_id)
);
