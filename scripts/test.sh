#!/usr/bin/env bash
# `make test`: lint, then pytest against services started here on free ports, in a state folder
# of their own (so a developer's running `make up` stack is never touched). The services are
# stopped on exit, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

mkdir -p .local
SDP_STATE_DIR=$(mktemp -d "$PWD/.local/test.XXXXXX")
export SDP_STATE_DIR
free_port() { "$PY" -c 'from include.stack.process import free_port; print(free_port())'; }
export SDP_POSTGRES_PORT=$(free_port) SDP_KAFKA_PORT=$(free_port)
# No external services leak in from the developer's shell.
unset SDP_DATABASE_URL KAFKA_BOOTSTRAP_SERVERS SDP_AIRFLOW_DATABASE_URL

cleanup() {
  "$PY" -m include.stack down >/dev/null || true
  rm -rf "$SDP_STATE_DIR"
  # Stacks that integration tests started in their own state folders, in case a test process
  # died before its fixture could stop them (each is stopped by its recorded pids).
  for state in .local/tests/*/; do
    [[ -d "$state/run" ]] && SDP_STATE_DIR="$PWD/$state" "$PY" -m include.stack down >/dev/null 2>&1 || true
    rm -rf "$state"
  done
}
trap cleanup EXIT INT TERM

echo "== services for the tests (state: $SDP_STATE_DIR)"
"$PY" -m include.stack up postgres kafka

echo "== pytest"
"$PY" -m pytest -p no:cacheprovider "$@"
