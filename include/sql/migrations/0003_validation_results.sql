-- Great Expectations validation summaries of each staged set, one row per validation run.
-- summary holds counts and expectation names only, never raw values.
CREATE TABLE data_validation_results (
    id            bigserial PRIMARY KEY,
    file_id       bigint      NOT NULL REFERENCES data_files (id),
    job_id        bigint      REFERENCES data_processing_jobs (id),
    suite         text        NOT NULL,
    success       boolean     NOT NULL,
    evaluated     integer     NOT NULL CHECK (evaluated >= 0),
    failed        integer     NOT NULL CHECK (failed >= 0),
    summary       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    validated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_validation_results_file_idx ON data_validation_results (file_id);
