-- The read-only reporting role sees every results table, present and future. The role itself is
-- created by whoever administers the server (the local stack does it in bootstrap); on a server
-- where it does not exist, this migration grants nothing.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'sdp_reader') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO sdp_reader', current_schema());
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO sdp_reader', current_schema());
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO sdp_reader',
                       current_schema());
    END IF;
END
$$;
