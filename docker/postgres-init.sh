#!/bin/sh
# Runs once, when the postgres container starts on an empty data volume
# (/docker-entrypoint-initdb.d). Creates the two databases and the roles; the results tables are
# created later by the project's migrations (sdp-migrate service), run as sdp_writer, which also
# grant the roles their tables (the vault tables only to sdp_vault_admin).
# Passwords come from the environment (.env), never from this file.
set -eu
: "${PG_AIRFLOW_PASSWORD:?}" "${PG_WRITER_PASSWORD:?}" "${PG_READER_PASSWORD:?}"
: "${PG_ANALYST_PASSWORD:?}" "${PG_VAULT_ADMIN_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v airflow_pw="$PG_AIRFLOW_PASSWORD" \
    -v writer_pw="$PG_WRITER_PASSWORD" \
    -v reader_pw="$PG_READER_PASSWORD" \
    -v analyst_pw="$PG_ANALYST_PASSWORD" \
    -v vault_admin_pw="$PG_VAULT_ADMIN_PASSWORD" <<'SQL'
-- Airflow metadata database.
CREATE ROLE airflow LOGIN PASSWORD :'airflow_pw';
CREATE DATABASE airflow OWNER airflow;

-- Results database: the pipeline writer owns it (migrations create schemas and tables);
-- the reporting reader can only read.
CREATE ROLE sdp_writer LOGIN PASSWORD :'writer_pw';
CREATE ROLE sdp_reader LOGIN PASSWORD :'reader_pw';
ALTER ROLE sdp_reader SET default_transaction_read_only = on;
CREATE ROLE sdp_analyst LOGIN PASSWORD :'analyst_pw';
CREATE ROLE sdp_vault_admin LOGIN PASSWORD :'vault_admin_pw';
ALTER ROLE sdp_vault_admin SET default_transaction_read_only = on;
CREATE DATABASE sdp OWNER sdp_writer;
REVOKE ALL ON DATABASE sdp FROM PUBLIC;
GRANT CONNECT ON DATABASE sdp TO sdp_writer, sdp_reader, sdp_analyst, sdp_vault_admin;
-- Analysts stage their own intermediate results; nobody else needs temporary tables.
GRANT TEMPORARY ON DATABASE sdp TO sdp_analyst;

\connect sdp
ALTER SCHEMA public OWNER TO sdp_writer;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sdp_reader;
-- Whatever the migrations create later stays readable by the reporting role.
ALTER DEFAULT PRIVILEGES FOR ROLE sdp_writer GRANT USAGE ON SCHEMAS TO sdp_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE sdp_writer GRANT SELECT ON TABLES TO sdp_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE sdp_writer GRANT SELECT ON SEQUENCES TO sdp_reader;
SQL
