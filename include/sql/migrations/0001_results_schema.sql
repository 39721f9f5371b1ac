-- Results database: the seed tables (docs/architecture.md, "PostgreSQL results database").
-- One file = one processing job = one transaction for its results; idempotency is keyed by the
-- file's SHA-256 (data_files.sha256 unique).

CREATE TABLE data_files (
    id          bigserial PRIMARY KEY,
    path        text        NOT NULL,
    sha256      char(64)    NOT NULL UNIQUE,
    size_bytes  bigint      NOT NULL CHECK (size_bytes >= 0),
    format      text        NOT NULL CHECK (format IN ('csv', 'jsonl', 'parquet', 'unknown')),
    domain      text,
    row_count   bigint,
    status      text        NOT NULL DEFAULT 'landed'
                CHECK (status IN ('landed', 'processing', 'loaded', 'duplicate', 'quarantined', 'failed')),
    landed_at   timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE data_processing_jobs (
    id                   bigserial PRIMARY KEY,
    file_id              bigint      NOT NULL REFERENCES data_files (id),
    engine               text        NOT NULL CHECK (engine IN ('spark', 'stream', 'flink', 'local')),
    route_reason         text        NOT NULL,
    dag_id               text,
    run_id               text,
    status               text        NOT NULL DEFAULT 'running'
                         CHECK (status IN ('running', 'succeeded', 'failed', 'quarantined', 'duplicate', 'dry_run')),
    records_in           bigint,
    records_loaded       bigint,
    records_quarantined  bigint,
    violations           bigint,
    pre_processing_s     double precision,
    pure_processing_s    double precision,
    post_processing_s    double precision,
    records_per_second   double precision,
    started_at           timestamptz NOT NULL DEFAULT now(),
    finished_at          timestamptz
);
CREATE INDEX data_processing_jobs_file_idx ON data_processing_jobs (file_id);

CREATE TABLE data_records (
    id          bigserial PRIMARY KEY,
    file_id     bigint NOT NULL REFERENCES data_files (id),
    job_id      bigint NOT NULL REFERENCES data_processing_jobs (id),
    row_number  bigint NOT NULL,
    payload     jsonb  NOT NULL,  -- anonymized row, never raw identifiers
    UNIQUE (file_id, row_number)
);

CREATE TABLE data_compliance_violations (
    id              bigserial PRIMARY KEY,
    file_id         bigint      NOT NULL REFERENCES data_files (id),
    job_id          bigint      NOT NULL REFERENCES data_processing_jobs (id),
    row_number      bigint      NOT NULL,
    field           text        NOT NULL,
    violation_type  text        NOT NULL,
    regulation      text        NOT NULL CHECK (regulation IN ('HIPAA', 'GDPR', 'PCI-DSS', 'LOCATION')),
    severity        text        NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    rule            text        NOT NULL,
    detected_at     timestamptz NOT NULL DEFAULT now(),
    -- One violation per (row, field, type) (docs/architecture.md, "The violation record").
    UNIQUE (file_id, row_number, field, violation_type)
);
CREATE INDEX data_compliance_violations_reg_idx ON data_compliance_violations (regulation, violation_type);

CREATE TABLE data_quarantine (
    id          bigserial PRIMARY KEY,
    file_id     bigint      REFERENCES data_files (id),
    job_id      bigint      REFERENCES data_processing_jobs (id),
    row_number  bigint,      -- NULL when the whole file is quarantined
    reason      text        NOT NULL,  -- a description, never the raw row
    quarantined_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX data_quarantine_file_idx ON data_quarantine (file_id);

CREATE TABLE system_audit_log (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor        text        NOT NULL,  -- dag_id/run_id/task_id, a service name, or a user
    action       text        NOT NULL,
    object_type  text        NOT NULL,
    object_id    text,
    details      jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX system_audit_log_object_idx ON system_audit_log (object_type, object_id);

-- Raised by deadline alerts and task-failure callbacks.
CREATE TABLE pipeline_alerts (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    kind        text        NOT NULL CHECK (kind IN ('deadline_missed', 'task_failed', 'validation_failed')),
    dag_id      text,
    run_id      text,
    task_id     text,
    message     text        NOT NULL,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);
