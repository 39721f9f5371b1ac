-- Data-subject rights: finding a subject's records by token (erasure), the differential-privacy
-- budget ledger (releases), and the analyst / vault-administrator roles.

-- A token is TYPE_keyid_<24 base32 characters>[_dddd]. The 24-character digest is what identifies
-- it: it always follows a "_", so it is found the same way whether the token is a whole field value
-- or embedded in free text, with no knowledge of the field or the type. Indexing only the digests
-- (a few per row) keeps the index small and its maintenance cheap, unlike a trigram index over the
-- whole payload text. Pieces after a "_" that start with 24 such characters but are not tokens
-- are indexed too: harmless, every lookup rechecks the whole token in the payload. Splitting on
-- "_" with an anchored match per piece measured twice as fast as one regexp_matches pass.
CREATE FUNCTION sdp_token_digests(payload jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ARRAY(
        SELECT pg_catalog.left(piece, 24)
        FROM pg_catalog.unnest(pg_catalog.string_to_array(payload::text, '_')) AS piece
        WHERE piece ~ '^[a-z2-7]{24}')
$$;

-- The digest of one whole token (NULL when it is not shaped like one).
CREATE FUNCTION sdp_token_digest(token text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT pg_catalog.substring(token, '_([a-z2-7]{24})(?:_[0-9]{4})?$')
$$;

-- The default 4 MiB pending list: a larger one made bulk loads faster (1.8 s instead of 2.4 s per
-- 100k records) but every lookup reads the whole pending list, and the planner, seeing it, chose
-- sequential scans: a one-second erasure after a large load.
CREATE INDEX data_records_token_digests_idx ON data_records USING gin (sdp_token_digests(payload));
CREATE INDEX identity_vault_token_digest_idx ON identity_vault (sdp_token_digest(token));
-- Retention purges a file's vault entries that no remaining record references.
CREATE INDEX identity_vault_file_idx ON identity_vault (file_id);

-- Differential-privacy budget per dataset. A dataset is a domain's loaded records (its policy's
-- dp_epsilon_budget): releases over them add up (sequential composition) whichever files of the
-- domain they read, since one person's records may sit in several of them. The row is locked while
-- a release is charged, so concurrent releases cannot overspend.
CREATE TABLE dp_budgets (
    dataset        text             PRIMARY KEY,
    total_epsilon  double precision NOT NULL CHECK (total_epsilon > 0),
    spent_epsilon  double precision NOT NULL DEFAULT 0 CHECK (spent_epsilon >= 0),
    created_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at     timestamptz      NOT NULL DEFAULT now()
);

-- One row per release: what was asked (query: files, group columns, statistic, bounds), what it
-- cost, who asked, and the released (noisy) table, which may be published again without spending
-- more budget.
CREATE TABLE dp_releases (
    id           bigserial        PRIMARY KEY,
    dataset      text             NOT NULL REFERENCES dp_budgets (dataset),
    epsilon      double precision NOT NULL CHECK (epsilon > 0),
    delta        double precision NOT NULL DEFAULT 0 CHECK (delta >= 0 AND delta < 1),
    query        jsonb            NOT NULL,
    actor        text             NOT NULL,
    released     jsonb            NOT NULL,
    released_at  timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX dp_releases_dataset_idx ON dp_releases (dataset, released_at);

-- Roles (created by whoever administers the server; the local stack does it in bootstrap). The
-- owner (the pipeline writer) is the only one that writes.
--   sdp_reader       aggregates and tokenized rows: every table but the vault's (0002, 0008)
--   sdp_analyst      the same (and temporary tables, granted on the database by bootstrap)
--   sdp_vault_admin  the vault tables only
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sdp_reader') THEN
        -- 0002's default privileges cover the tables above; the vault stays closed.
        REVOKE ALL ON vault_data_keys, identity_vault FROM sdp_reader;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sdp_analyst') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO sdp_analyst', current_schema());
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO sdp_analyst', current_schema());
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO sdp_analyst',
                       current_schema());
        REVOKE ALL ON vault_data_keys, identity_vault FROM sdp_analyst;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sdp_vault_admin') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO sdp_vault_admin', current_schema());
        GRANT SELECT ON vault_data_keys, identity_vault TO sdp_vault_admin;
    END IF;
END
$$;
