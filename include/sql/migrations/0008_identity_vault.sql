-- Re-identification vault. For identifier types whose policy says `reversible: true`, the engine
-- stores the original value encrypted (AES-256-GCM, the token as associated data) under a data key
-- of its job; the data key itself is stored wrapped by the master key (SDP_VAULT_KEY), so key
-- rotation re-wraps rows of vault_data_keys and never touches identity_vault.
CREATE TABLE vault_data_keys (
    key_id         text        PRIMARY KEY,
    master_key_id  text        NOT NULL,  -- fingerprint of the master key that wrapped it
    wrapped_key    bytea       NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    rewrapped_at   timestamptz
);

CREATE TABLE identity_vault (
    token       text        PRIMARY KEY,  -- the token as it appears in data_records.payload
    id_type     text        NOT NULL,
    key_id      text        NOT NULL REFERENCES vault_data_keys (key_id),
    nonce       bytea       NOT NULL,
    ciphertext  bytea       NOT NULL,
    file_id     bigint      REFERENCES data_files (id),  -- the file that first stored it
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_vault_key_idx ON identity_vault (key_id);

-- 0002 lets the reporting role read every table, present and future: not these two.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sdp_reader') THEN
        REVOKE ALL ON vault_data_keys, identity_vault FROM sdp_reader;
    END IF;
END
$$;
